package connect_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	connect "github.com/openmessaging/connect-go"
)

func TestNewTransform(t *testing.T) {
	upper := connect.NewTransform("Upper", func(_ context.Context, r *connect.Record) (*connect.Record, error) {
		s, ok := r.Value.(string)
		if !ok {
			return nil, fmt.Errorf("not a string: %T", r.Value)
		}
		r.Value = strings.ToUpper(s)
		return r, nil
	})
	if s := upper.Spec(); s.Name != "Upper" || len(s.Config) != 0 {
		t.Fatalf("spec %+v", s)
	}
	if err := upper.Configure(connect.Config{}); err != nil {
		t.Fatal(err)
	}
	r, err := upper.Apply(context.Background(), &connect.Record{Value: "abc"})
	if err != nil || r.Value != "ABC" {
		t.Fatalf("apply: %v %v", r, err)
	}
	if _, err := upper.Apply(context.Background(), &connect.Record{Value: 1}); err == nil {
		t.Fatal("want an error")
	}
	if err := upper.Close(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Error("NewTransform with a nil fn does not panic")
		}
	}()
	connect.NewTransform("x", nil)
}

func TestOrigin(t *testing.T) {
	if _, ok := connect.OriginFrom(context.Background()); ok {
		t.Fatal("origin in a bare context")
	}
	ctx := connect.ContextWithOrigin(context.Background(), connect.Origin{Queue: 2, Offset: 7})
	if o, ok := connect.OriginFrom(ctx); !ok || o != (connect.Origin{Queue: 2, Offset: 7}) {
		t.Fatalf("origin %+v %v", o, ok)
	}
}
