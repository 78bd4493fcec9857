package transforms

import (
	"context"
	"maps"
	"reflect"
	"unsafe"

	connect "github.com/openmessaging/connect-go"
)

// Ownership lets the built-in transforms change a record's maps in place
// where copying them is not needed: a map an earlier built-in of the chain
// made for the same record, or one the caller declares its own (a record
// just decoded). Without it, every built-in that changes a map copies it
// first, which is always correct.
//
// One Ownership serves one goroutine that applies a chain to one record
// after another:
//
//	var o transforms.Ownership
//	ctx = o.Context(ctx)
//	for _, r := range records {
//		o.Reset(r, justDecoded)
//		// apply the chain to r with ctx; after a transform that is not a
//		// built-in (it may have kept or shared the maps it saw), and with
//		// the record it returned: o.Reset(r, false)
//	}
//
// A built-in changes in place only maps of the record it was reset with.
type Ownership struct {
	rec   *connect.Record
	owned [4]unsafe.Pointer
	n     int
}

type ownershipKey struct{}

// Context returns a copy of ctx carrying o, for the whole batch.
func (o *Ownership) Context(ctx context.Context) context.Context {
	return context.WithValue(ctx, ownershipKey{}, o)
}

// Reset starts a record. With fresh, the top-level maps of r (key, value,
// and the images and source of a change event) are the caller's alone and
// may be changed in place.
func (o *Ownership) Reset(r *connect.Record, fresh bool) {
	*o = Ownership{rec: r}
	if !fresh {
		return
	}
	if m, ok := r.Key.(map[string]any); ok {
		o.add(m)
	}
	if m, ok := r.Value.(map[string]any); ok {
		o.add(m)
	}
	if c := r.Change; c != nil {
		if m, ok := c.Before.(map[string]any); ok {
			o.add(m)
		}
		if m, ok := c.After.(map[string]any); ok {
			o.add(m)
		}
	}
}

func mapPointer(m map[string]any) unsafe.Pointer {
	return reflect.ValueOf(m).UnsafePointer()
}

func (o *Ownership) add(m map[string]any) {
	if m == nil {
		return
	}
	if o.n == len(o.owned) {
		copy(o.owned[:], o.owned[1:]) // forget the oldest
		o.n--
	}
	o.owned[o.n] = mapPointer(m)
	o.n++
}

func (o *Ownership) owns(r *connect.Record, m map[string]any) bool {
	if o.rec != r || m == nil {
		return false
	}
	p := mapPointer(m)
	for _, q := range o.owned[:o.n] {
		if q == p {
			return true
		}
	}
	return false
}

func ownership(ctx context.Context) *Ownership {
	o, _ := ctx.Value(ownershipKey{}).(*Ownership)
	return o
}

// editable returns m itself when the chain owns it for r, else a copy of
// it, which the chain then owns.
func editable(ctx context.Context, r *connect.Record, m map[string]any) map[string]any {
	o := ownership(ctx)
	if o != nil && o.owns(r, m) {
		return m
	}
	c := maps.Clone(m)
	if c == nil {
		c = map[string]any{}
	}
	if o != nil && o.rec == r {
		o.add(c)
	}
	return c
}

// made tells the chain a transform built m for r: later built-ins may
// change it in place.
func made(ctx context.Context, r *connect.Record, m map[string]any) {
	if o := ownership(ctx); o != nil && o.rec == r {
		o.add(m)
	}
}
