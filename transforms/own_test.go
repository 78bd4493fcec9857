package transforms_test

import (
	"context"
	"reflect"
	"testing"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/transforms"
)

func samePtr(a, b map[string]any) bool {
	return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

// With an Ownership, built-ins change in place the maps of a fresh record
// and those an earlier built-in made for the same record; never others.
func TestOwnership(t *testing.T) {
	insert := newTransform(t, kafka+"InsertField$Value", connect.Config{"static.field": "s", "static.value": "v"})
	rename := newTransform(t, kafka+"ReplaceField$Value", connect.Config{"renames": "a:b"})
	var own transforms.Ownership
	ctx := own.Context(context.Background())

	// Not fresh: the first copies, the second edits the copy.
	src := m{"a": 1}
	r := &connect.Record{Value: src}
	own.Reset(r, false)
	r, _ = insert.Apply(ctx, r)
	first := r.Value.(map[string]any)
	if samePtr(first, src) || len(src) != 1 {
		t.Fatalf("the source's map was changed: %v", src)
	}
	r, _ = rename.Apply(ctx, r)
	if got := r.Value.(map[string]any); !samePtr(got, first) || got["b"] != 1 || got["s"] != "v" {
		t.Fatalf("second built-in copied again or is wrong: %v", got)
	}

	// Fresh: edited in place from the start.
	dec := m{"a": 1}
	r = &connect.Record{Value: dec}
	own.Reset(r, true)
	r, _ = insert.Apply(ctx, r)
	if !samePtr(r.Value.(map[string]any), dec) || dec["s"] != "v" {
		t.Fatalf("fresh map copied: %v", r.Value)
	}

	// Another record, or after a Reset: copies again.
	other := &connect.Record{Value: dec}
	out, _ := rename.Apply(ctx, other)
	if samePtr(out.Value.(map[string]any), dec) {
		t.Fatal("a map owned for another record was changed")
	}
	own.Reset(r, false)
	before := len(dec)
	r, _ = rename.Apply(ctx, r)
	if samePtr(r.Value.(map[string]any), dec) || len(dec) != before || dec["a"] != 1 {
		t.Fatal("a map forgotten by Reset was changed")
	}

	// Without an Ownership in ctx: always copies.
	plain := m{"a": 1}
	out, _ = insert.Apply(context.Background(), &connect.Record{Value: plain})
	if samePtr(out.Value.(map[string]any), plain) || len(plain) != 1 {
		t.Fatal("changed without an Ownership")
	}
}
