package runtime

import (
	"context"
	"maps"
	"slices"
)

// Crash stops the runtime as if its process died: no drain, no offset
// flush.
func (rt *Runtime) Crash() { rt.crash() }

// crash stops every task at once, without draining or committing offsets,
// as if the process had died. Subscriptions are closed, which the transport
// sees as members leaving. For tests.
func (rt *Runtime) crash() {
	rt.crashed.Store(true)
	rt.mu.Lock()
	if !rt.started || rt.stopped {
		rt.mu.Unlock()
		return
	}
	rt.stopped = true
	rt.unwatch()
	runners := slices.Collect(maps.Values(rt.connectors))
	rt.mu.Unlock()
	rt.unobserve()
	rt.cancel()
	if rt.cl != nil {
		rt.cl.abandon() // no leave record: the others find out by the lease
	}
	for _, c := range runners {
		c.shutdown(context.Background()) //nolint:errcheck // a crash reports nothing
	}
	rt.watchWG.Wait()
}
