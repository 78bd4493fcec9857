package runtime

import (
	"context"
	"maps"
	"slices"
	"sort"
	"sync"

	connect "github.com/openmessaging/connect-go"
)

// activeTopics records the topics each connector published to (sources)
// or consumed from (sinks) since it was created or its set was reset:
// Kafka Connect's active topics (GET /connectors/{name}/topics).
type activeTopics struct {
	mu sync.RWMutex
	m  map[string]map[string]bool
}

// note adds the topics of msgs to connector's set. Cheap when they are
// known already: a read lock and a map lookup per distinct topic.
func (a *activeTopics) note(connector string, msgs []*connect.Message) {
	last := ""
	for _, m := range msgs {
		if m.Topic == last {
			continue
		}
		last = m.Topic
		a.mu.RLock()
		known := a.m[connector][m.Topic]
		a.mu.RUnlock()
		if known {
			continue
		}
		a.mu.Lock()
		if a.m == nil {
			a.m = map[string]map[string]bool{}
		}
		if a.m[connector] == nil {
			a.m[connector] = map[string]bool{}
		}
		a.m[connector][m.Topic] = true
		a.mu.Unlock()
	}
}

func (a *activeTopics) list(connector string) []string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	out := slices.Collect(maps.Keys(a.m[connector]))
	sort.Strings(out)
	return out
}

func (a *activeTopics) reset(connector string) {
	a.mu.Lock()
	delete(a.m, connector)
	a.mu.Unlock()
}

// ActiveTopics returns the topics the connector published to (a source)
// or consumed from (a sink) since it was created or ResetActiveTopics, as
// Kafka Connect's GET /connectors/{name}/topics. In cluster mode it is the
// set of the worker running the connector, as of its last status.
func (rt *Runtime) ActiveTopics(name string) ([]string, error) {
	if rt.cl != nil {
		return rt.cl.activeTopics(name)
	}
	if _, err := rt.connector(name); err != nil {
		return nil, err
	}
	return rt.topics.list(name), nil
}

// ResetActiveTopics empties the connector's set of active topics. In
// cluster mode the worker running the connector does it.
func (rt *Runtime) ResetActiveTopics(ctx context.Context, name string) error {
	if rt.cl != nil {
		return rt.cl.restart(ctx, name, RestartOptions{}, resetTopicsTask)
	}
	if _, err := rt.connector(name); err != nil {
		return err
	}
	rt.topics.reset(name)
	return nil
}

// resetTopicsTask marks a restart record that resets the active topics.
const resetTopicsTask = -2

func (c *cluster) activeTopics(name string) ([]string, error) {
	if _, err := c.lookup(name); err != nil {
		return nil, err
	}
	c.rt.mu.Lock()
	_, local := c.rt.connectors[name]
	c.rt.mu.Unlock()
	if local {
		return c.rt.topics.list(name), nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if sr, ok := c.statuses[name]; ok && sr.Worker == c.assign.owner(name) {
		return slices.Clone(sr.Topics), nil
	}
	return []string{}, nil
}
