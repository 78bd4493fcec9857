package transforms

import (
	"context"
	"maps"
	"reflect"
	"unsafe"

	connect "github.com/openmessaging/connect-go"
)

// Ownership lets the built-in transforms change a record's maps and rows
// in place where copying them is not needed: a map or *connect.Struct an
// earlier built-in of the chain made for the same record, or one the
// caller declares its own (a record just decoded). Without it, every
// built-in that changes a map or a row copies it first, which is always
// correct. A row is owned with its Values: a built-in that makes a row
// sharing another's Values does not declare it made.
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

// Reset starts a record. With fresh, the top-level maps and rows of r
// (key, value, and the images of a change event) are the caller's alone
// and may be changed in place.
func (o *Ownership) Reset(r *connect.Record, fresh bool) {
	*o = Ownership{rec: r}
	if !fresh {
		return
	}
	o.addRow(r.Key)
	o.addRow(r.Value)
	if c := r.Change; c != nil {
		o.addRow(c.Before)
		o.addRow(c.After)
	}
}

func (o *Ownership) addRow(v any) {
	switch x := v.(type) {
	case map[string]any:
		o.add(x)
	case *connect.Struct:
		if x != nil {
			o.addPointer(unsafe.Pointer(x))
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
	o.addPointer(mapPointer(m))
}

func (o *Ownership) addPointer(p unsafe.Pointer) {
	if o.n == len(o.owned) {
		copy(o.owned[:], o.owned[1:]) // forget the oldest
		o.n--
	}
	o.owned[o.n] = p
	o.n++
}

func (o *Ownership) owns(r *connect.Record, m map[string]any) bool {
	if m == nil {
		return false
	}
	return o.ownsPointer(r, mapPointer(m))
}

func (o *Ownership) ownsPointer(r *connect.Record, p unsafe.Pointer) bool {
	if o.rec != r {
		return false
	}
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

// ownsStruct reports whether the chain owns s, Values included, for r.
func ownsStruct(ctx context.Context, r *connect.Record, s *connect.Struct) bool {
	o := ownership(ctx)
	return o != nil && s != nil && o.ownsPointer(r, unsafe.Pointer(s))
}

// madeStruct tells the chain a transform built s, with Values of its own,
// for r: later built-ins may change it in place.
func madeStruct(ctx context.Context, r *connect.Record, s *connect.Struct) {
	if o := ownership(ctx); o != nil && o.rec == r {
		o.addPointer(unsafe.Pointer(s))
	}
}
