package connect_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
)

type nopSource struct{}

func (nopSource) Start(context.Context, connect.SourceTaskContext, connect.Config) error { return nil }
func (nopSource) Poll(context.Context) ([]*connect.Record, error)                        { return nil, nil }
func (nopSource) Stop(context.Context) error                                             { return nil }

type nopSink struct{}

func (nopSink) Start(context.Context, connect.SinkTaskContext, connect.Config) error { return nil }
func (nopSink) Put(context.Context, []*connect.Record) error                         { return nil }
func (nopSink) Flush(context.Context) error                                          { return nil }
func (nopSink) Stop(context.Context) error                                           { return nil }

var simpleSpec = connect.Spec{Name: "Test", Version: "1", Config: connect.ConfigSpec{{Name: "items", Type: connect.FieldList}}}

func newTestSource(opts ...connect.ConnectorOption) connect.SourceConnector {
	return connect.NewSource(simpleSpec, func() connect.SourceTask { return nopSource{} }, opts...)
}

func startConnector(t *testing.T, c connect.Connector, cfg connect.Config) {
	t.Helper()
	if err := c.Start(context.Background(), connecttest.NewConnectorContext(), cfg); err != nil {
		t.Fatalf("Start: %v", err)
	}
}

func TestSimpleOneTaskWhateverMaxTasks(t *testing.T) {
	for _, c := range []connect.Connector{
		newTestSource(),
		connect.NewSink(simpleSpec, func() connect.SinkTask { return nopSink{} }),
	} {
		startConnector(t, c, connect.Config{"a": "1"})
		for _, max := range []int{1, 5} {
			cfgs, err := c.TaskConfigs(max)
			if err != nil || len(cfgs) != 1 || cfgs[0]["a"] != "1" {
				t.Errorf("TaskConfigs(%d) = %v, %v; want one copy of the config", max, cfgs, err)
			}
		}
	}
}

func TestSimpleTaskConfigsAreCopies(t *testing.T) {
	for name, opts := range map[string][]connect.ConnectorOption{
		"one":      nil,
		"parallel": {connect.WithParallelTasks()},
		"split":    {connect.WithSplitList("items")},
	} {
		t.Run(name, func(t *testing.T) {
			c := newTestSource(opts...)
			cfg := connect.Config{"a": "1", "items": "x,y"}
			startConnector(t, c, cfg)
			cfg["a"] = "changed by the caller of Start"

			first, _ := c.TaskConfigs(2)
			for _, tc := range first {
				tc["a"] = "changed"
				tc["new"] = "added"
			}
			if len(first) > 1 && first[1]["a"] != "changed" {
				t.Error("two task configs share one map")
			}
			next, _ := c.TaskConfigs(2)
			for i, tc := range next {
				if tc["a"] != "1" || tc["new"] != "" {
					t.Errorf("config %d after mutating an earlier result: %v", i, tc)
				}
			}
		})
	}
}

func TestSimpleTaskConfigsBeforeStart(t *testing.T) {
	cfgs, err := newTestSource().TaskConfigs(1)
	if err != nil || len(cfgs) != 1 || cfgs[0] == nil {
		t.Fatalf("TaskConfigs = %v, %v; want one empty, non-nil config", cfgs, err)
	}
	cfgs[0]["k"] = "v" // must not panic
}

func TestSimpleMaxTasksBelowOne(t *testing.T) {
	c := newTestSource()
	startConnector(t, c, connect.Config{})
	if _, err := c.TaskConfigs(0); err == nil || !strings.Contains(err.Error(), "Test") {
		t.Errorf("TaskConfigs(0) error = %v; want one naming the connector", err)
	}
}

func TestSimpleParallelTasks(t *testing.T) {
	c := connect.NewSink(simpleSpec, func() connect.SinkTask { return nopSink{} }, connect.WithParallelTasks())
	startConnector(t, c, connect.Config{"a": "1"})
	cfgs, err := c.TaskConfigs(3)
	if err != nil || len(cfgs) != 3 {
		t.Fatalf("TaskConfigs(3) = %v, %v; want 3 configs", cfgs, err)
	}
	for _, tc := range cfgs {
		if tc["a"] != "1" {
			t.Errorf("config %v, want a copy of the connector's", tc)
		}
	}
}

func TestSimpleSplitList(t *testing.T) {
	for _, tc := range []struct {
		items string
		max   int
		want  []string
	}{
		{"a,b,c,d,e", 2, []string{"a,b,c", "d,e"}},
		{"a,b,c,d,e,f,g", 3, []string{"a,b,c", "d,e", "f,g"}},
		{"a,b,c,d", 2, []string{"a,b", "c,d"}},
		{"a,b,c", 3, []string{"a", "b", "c"}},
		{" a , b ,, c ", 10, []string{"a", "b", "c"}}, // fewer items than tasks
		{"a", 1, []string{"a"}},
		{"", 4, nil}, // empty list: zero tasks, no error
		{",", 4, nil},
	} {
		c := newTestSource(connect.WithSplitList("items"))
		startConnector(t, c, connect.Config{"items": tc.items, "other": "kept"})
		cfgs, err := c.TaskConfigs(tc.max)
		if err != nil {
			t.Errorf("%q over %d: %v", tc.items, tc.max, err)
			continue
		}
		var got []string
		for _, cfg := range cfgs {
			got = append(got, cfg["items"])
			if cfg["other"] != "kept" {
				t.Errorf("%q over %d: task config %v lost the other keys", tc.items, tc.max, cfg)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%q over %d tasks: %q, want %q", tc.items, tc.max, got, tc.want)
		}
	}
}

func TestSimpleSplitListMissingKey(t *testing.T) {
	c := newTestSource(connect.WithSplitList("items"))
	startConnector(t, c, connect.Config{})
	cfgs, err := c.TaskConfigs(3)
	if err != nil || len(cfgs) != 0 {
		t.Errorf("TaskConfigs = %v, %v; want no configs and no error", cfgs, err)
	}
}

func TestSimpleLastSplitOptionWins(t *testing.T) {
	c := newTestSource(connect.WithSplitList("items"), connect.WithParallelTasks())
	startConnector(t, c, connect.Config{"items": "a"})
	if cfgs, _ := c.TaskConfigs(3); len(cfgs) != 3 {
		t.Errorf("WithParallelTasks after WithSplitList: %d configs, want 3", len(cfgs))
	}
}

func TestSimpleValidate(t *testing.T) {
	bad := &connect.ConfigError{}
	bad.Add("items", "must not name x")
	var seen connect.Config
	c := newTestSource(connect.WithValidate(func(_ context.Context, cfg connect.Config) error {
		seen = cfg
		if slices.Contains(cfg.List("items"), "x") {
			return bad.Err()
		}
		return nil
	}))
	v, ok := c.(connect.ConfigValidator)
	if !ok {
		t.Fatal("the connector is not a ConfigValidator")
	}
	var ce *connect.ConfigError
	if err := v.Validate(context.Background(), connect.Config{"items": "x"}); !errors.As(err, &ce) || ce.Fields[0].Field != "items" {
		t.Errorf("Validate = %v; want the validator's *ConfigError", err)
	}
	if seen["items"] != "x" {
		t.Errorf("the validator saw %v", seen)
	}
	if err := v.Validate(context.Background(), connect.Config{"items": "y"}); err != nil {
		t.Errorf("Validate of a good config: %v", err)
	}
	// Start refuses what Validate refuses.
	if err := c.Start(context.Background(), connecttest.NewConnectorContext(), connect.Config{"items": "x"}); !errors.As(err, &ce) {
		t.Errorf("Start with a bad config = %v; want the validator's error", err)
	}
}

func TestSimpleValidateDefault(t *testing.T) {
	for _, c := range []connect.Connector{newTestSource(), newTestSource(connect.WithValidate(nil), nil)} {
		if err := c.(connect.ConfigValidator).Validate(context.Background(), connect.Config{"any": "thing"}); err != nil {
			t.Errorf("Validate without a validator: %v", err)
		}
	}
}

func TestSimpleStopIdempotent(t *testing.T) {
	c := newTestSource()
	ctx := context.Background()
	if err := c.Stop(ctx); err != nil { // before Start, too
		t.Fatal(err)
	}
	startConnector(t, c, connect.Config{})
	for range 2 {
		if err := c.Stop(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSimpleSpecAndNewTask(t *testing.T) {
	calls := 0
	c := connect.NewSource(simpleSpec, func() connect.SourceTask { calls++; return nopSource{} })
	s := c.Spec()
	if s.Name != "Test" || len(s.Config) != 1 {
		t.Fatalf("Spec = %+v", s)
	}
	s.Config[0].Name = "changed"
	if c.Spec().Config[0].Name != "items" {
		t.Error("changing a returned spec changed the connector's")
	}
	c.NewTask()
	c.NewTask()
	if calls != 2 {
		t.Errorf("newTask called %d times for 2 NewTask calls", calls)
	}
}

func TestSimplePanicsOnWiringMistakes(t *testing.T) {
	for name, f := range map[string]func(){
		"nil source task": func() { connect.NewSource(simpleSpec, nil) },
		"nil sink task":   func() { connect.NewSink(simpleSpec, nil) },
		"empty list key":  func() { connect.WithSplitList("") },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
