package rocketmq

import (
	"reflect"
	"sync"
	"unsafe"

	"github.com/apache/rocketmq-client-go/v2/primitive"
)

// The client offers a received message's properties one by one
// (GetProperty) or as a copy of the whole map (GetProperties). A message
// without headersProperty (written by another producer, by versions before
// it, or by this transport without headers) must have every property
// looked at, and the copy, made for every such message, was the largest
// cost of receiving it beyond the client's own (two allocations and a
// rehash of every property). lockProperties reads the map in place,
// under the message's own lock, as GetProperties does.
//
// It reaches the unexported fields properties and mutex of
// primitive.Message by their offsets, checked at start-up by name and
// type: a client whose Message has them under other names or types is
// read through GetProperties, as before.
var (
	propertiesOffset, mutexOffset uintptr
	inPlaceProperties             bool
)

func init() {
	t := reflect.TypeFor[primitive.Message]()
	p, okP := t.FieldByName("properties")
	m, okM := t.FieldByName("mutex")
	if okP && okM && p.Type == reflect.TypeFor[map[string]string]() && m.Type == reflect.TypeFor[sync.RWMutex]() &&
		len(p.Index) == 1 && len(m.Index) == 1 {
		propertiesOffset, mutexOffset, inPlaceProperties = p.Offset, m.Offset, true
	}
}

// lockProperties returns m's property map, read-locked: the caller reads
// it, never changes it, and unlocks mu once done. mu is nil when the map
// cannot be read in place (see above).
func lockProperties(m *primitive.Message) (props map[string]string, mu *sync.RWMutex) {
	if !inPlaceProperties {
		return nil, nil
	}
	base := unsafe.Pointer(m)
	mu = (*sync.RWMutex)(unsafe.Add(base, mutexOffset))
	mu.RLock()
	return *(*map[string]string)(unsafe.Add(base, propertiesOffset)), mu
}

// serialRebalance returns a function running a rebalance of pc (the value
// consumer.NewPullConsumer returned) the way the client runs its own: the
// client's RebalanceImmediately, which holds the client's rebalance lock
// (rbMutex) for the whole rebalance, so that a Seek's rebalances and the
// client's (every 20 s, and when the broker says the group's members
// changed) never run at once. The pull consumer's own Rebalance skips
// that lock: two rebalances at once race on the consumer's queue list
// (messageQueueChanged) and could both start a pull of one queue.
//
// The client is the unexported field client of the consumer's embedded
// defaultConsumer; reached by name and checked for the method, else ok is
// false and the caller falls back.
func serialRebalance(pc any) (rebalance func(), ok bool) {
	v := reflect.ValueOf(pc)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil, false
	}
	dc := v.Elem().FieldByName("defaultConsumer")
	if !dc.IsValid() || dc.Kind() != reflect.Pointer || dc.IsNil() || dc.Elem().Kind() != reflect.Struct {
		return nil, false
	}
	f := dc.Elem().FieldByName("client")
	if !f.IsValid() || f.Kind() != reflect.Interface || f.IsNil() {
		return nil, false
	}
	client := reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Interface()
	r, ok := client.(interface{ RebalanceImmediately() })
	if !ok {
		return nil, false
	}
	return r.RebalanceImmediately, true
}
