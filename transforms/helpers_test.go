package transforms_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/transforms"
)

const (
	kafka     = "org.apache.kafka.connect.transforms."
	predicate = "org.apache.kafka.connect.transforms.predicates."
)

// tcase is one record through one configured transform: want nil means
// dropped; err, when set, is a substring of the expected error.
type tcase struct {
	name string
	cfg  connect.Config
	ctx  context.Context
	in   *connect.Record
	want *connect.Record
	err  string
}

// newTransform makes and configures a built-in; it fails the test when
// Configure fails.
func newTransform(t *testing.T, typ string, cfg connect.Config) connect.Transform {
	t.Helper()
	f, ok := transforms.Transforms()[typ]
	if !ok {
		t.Fatalf("no built-in transform %s", typ)
	}
	tr := f()
	if got := tr.Spec().Name; got != typ {
		t.Fatalf("Spec().Name = %q, want %q", got, typ)
	}
	if err := tr.Configure(cfg); err != nil {
		t.Fatalf("configure %s with %v: %v", typ, cfg, err)
	}
	t.Cleanup(func() {
		if err := tr.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return tr
}

// runCases runs each case through a transform of type typ.
func runCases(t *testing.T, typ string, cases []tcase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := newTransform(t, typ, c.cfg)
			ctx := c.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			before := snapshot(c.in)
			got, err := tr.Apply(ctx, c.in.Clone())
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one containing %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("apply: %v", err)
			}
			if snapshot(c.in) != before {
				t.Errorf("the input's maps changed:\n%s\nwas\n%s", snapshot(c.in), before)
			}
			if diff := diffRecords(got, c.want); diff != "" {
				t.Error(diff)
			}
		})
	}
}

// configErrors configures typ with each cfg and wants a *ConfigError
// naming field.
type cfgCase struct {
	name  string
	cfg   connect.Config
	field string
	err   string
}

func runConfigErrors(t *testing.T, typ string, cases []cfgCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := transforms.Transforms()[typ]()
			defer tr.Close()
			checkConfigError(t, tr.Configure(c.cfg), c.field, c.err)
		})
	}
}

func checkConfigError(t *testing.T, err error, field, reason string) {
	t.Helper()
	var ce *connect.ConfigError
	if !errors.As(err, &ce) || !errors.Is(err, connect.ErrInvalidConfig) {
		t.Fatalf("error %v, want a *connect.ConfigError", err)
	}
	for _, fe := range ce.Fields {
		if fe.Field == field && strings.Contains(fe.Reason, reason) {
			return
		}
	}
	t.Fatalf("error %v names no field %q with %q", err, field, reason)
}

func snapshot(r *connect.Record) string {
	if r == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%#v %#v %#v %#v", r.Key, r.Value, r.Change, r.Headers)
}

func diffRecords(got, want *connect.Record) string {
	switch {
	case got == nil && want == nil:
		return ""
	case got == nil:
		return fmt.Sprintf("record dropped, want %s", show(want))
	case want == nil:
		return fmt.Sprintf("got %s, want it dropped", show(got))
	}
	if got.Topic != want.Topic || !reflect.DeepEqual(got.Key, want.Key) || !reflect.DeepEqual(got.Value, want.Value) ||
		!reflect.DeepEqual(got.Change, want.Change) || !reflect.DeepEqual(got.Headers, want.Headers) ||
		!got.Timestamp.Equal(want.Timestamp) {
		return fmt.Sprintf("got  %s\nwant %s", show(got), show(want))
	}
	return ""
}

func show(r *connect.Record) string {
	return fmt.Sprintf("{Topic:%q Key:%#v Value:%#v Change:%#v Headers:%v Timestamp:%v}", r.Topic, r.Key, r.Value, r.Change, r.Headers, r.Timestamp)
}

// rec is a record on topic with value v.
func rec(topic string, v any) *connect.Record { return &connect.Record{Topic: topic, Value: v} }

// with returns a copy of r changed by fn.
func with(r *connect.Record, fn func(*connect.Record)) *connect.Record {
	c := *r
	fn(&c)
	return &c
}

type m = map[string]any

var ts = time.Date(2019, time.April, 25, 14, 22, 16, 0, time.UTC) // 1556202136000 ms
