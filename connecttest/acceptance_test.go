package connecttest

import (
	"context"
	"fmt"
	"maps"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
)

// The suite is tested on a source over an in-memory log that tests can
// append to, and on Collector, each correct and then broken on purpose.

type memLog struct {
	mu    sync.Mutex
	lines []string
	leaks chan struct{} // closed at the end of the test, ending leaked goroutines
}

func newLog(t *testing.T) *memLog {
	l := &memLog{leaks: make(chan struct{})}
	t.Cleanup(func() { close(l.leaks) })
	return l
}

func (l *memLog) write(_ testing.TB, n int) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var ids []string
	for range n {
		id := fmt.Sprint("line-", len(l.lines))
		l.lines = append(l.lines, id)
		ids = append(ids, id)
	}
	return ids
}

func (l *memLog) from(i int64, max int) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if i >= int64(len(l.lines)) {
		return nil
	}
	return l.lines[i:min(int64(len(l.lines)), i+int64(max))]
}

// breakage lists the ways a test connector can be broken.
type breakage struct {
	undescribed, requiredDefault, badDefault, noVersion bool
	startNeedsLabel                                     bool
	tooManyTasks                                        bool
	ignoreOffset, noPosition, leak, slowPoll, lossy     bool
}

type logSource struct {
	log *memLog
	brk breakage
	cfg connect.Config
}

func (s *logSource) Spec() connect.Spec {
	spec := connect.Spec{
		Name:        "LogSource",
		Version:     "1.0.0",
		Description: "Reads an in-memory log.",
		Config: connect.ConfigSpec{
			{Name: "name", Required: true, Description: "Log name."},
			{Name: "interval", Type: connect.FieldDuration, Default: "5ms", Description: "Wait between empty reads."},
			{Name: "batch", Type: connect.FieldInt, Default: "10", Description: "Most lines per Poll.", Validate: connect.IntAtLeast(1)},
			{Name: "mode", Default: "a", Allowed: []string{"a", "b"}, Description: "A mode."},
			{Name: "token", Secret: true, Description: "A secret."},
			{Name: "label", Description: "An optional label.", Aliases: []string{"tag"}},
		},
	}
	if s.brk.noVersion {
		spec.Version = ""
	}
	if s.brk.undescribed {
		spec.Config[3].Description = ""
	}
	if s.brk.requiredDefault {
		spec.Config[0].Default = "log"
	}
	if s.brk.badDefault {
		spec.Config[2].Default = "ten"
	}
	return spec
}

func (s *logSource) Start(_ context.Context, _ connect.ConnectorContext, cfg connect.Config) error {
	if s.brk.startNeedsLabel && cfg["label"] == "" {
		return fmt.Errorf("no label")
	}
	s.cfg = cfg
	return nil
}

func (s *logSource) TaskConfigs(maxTasks int) ([]connect.Config, error) {
	if s.brk.tooManyTasks {
		maxTasks++
	}
	out := make([]connect.Config, maxTasks)
	for i := range out {
		out[i] = maps.Clone(s.cfg)
	}
	return out, nil
}

func (s *logSource) Stop(context.Context) error { return nil }

func (s *logSource) NewTask() connect.SourceTask { return &logTask{src: s} }

type logTask struct {
	src      *logSource
	next     int64
	batch    int
	interval time.Duration
}

func (t *logTask) Start(ctx context.Context, tc connect.SourceTaskContext, cfg connect.Config) error {
	t.batch, t.interval = cfg.Int("batch"), cfg.Duration("interval")
	if t.src.brk.leak {
		go func() { <-t.src.log.leaks }()
	}
	p, ok, err := tc.Offset(ctx, "log")
	if err != nil || !ok || t.src.brk.ignoreOffset {
		return err
	}
	if err := p.Decode(&t.next); err != nil {
		return err
	}
	t.next++
	return nil
}

func (t *logTask) Poll(ctx context.Context) ([]*connect.Record, error) {
	for {
		if lines := t.src.log.from(t.next, t.batch); len(lines) > 0 {
			var out []*connect.Record
			for _, l := range lines {
				r := &connect.Record{Value: l, Position: connect.NewPosition("log", t.next)}
				if t.src.brk.noPosition {
					r.Position = connect.Position{}
				}
				if !t.src.brk.lossy || t.next%2 == 0 {
					out = append(out, r)
				}
				t.next++
			}
			return out, nil
		}
		if t.src.brk.slowPoll {
			time.Sleep(pollGrace + 100*time.Millisecond)
			return nil, nil
		}
		select {
		case <-ctx.Done():
			return nil, nil
		case <-time.After(t.interval):
		}
	}
}

func (t *logTask) Stop(context.Context) error { return nil }

func sourceDriver(t *testing.T, brk breakage) Driver {
	log := newLog(t)
	return Driver{
		Connector:   func() connect.Connector { return &logSource{log: log, brk: brk} },
		Config:      connect.Config{"name": "x", "tag": "l", "token": "secret"},
		WriteSource: log.write,
		RecordID:    func(r *connect.Record) string { return r.Value.(string) },
		Records:     7,
		Timeout:     500 * time.Millisecond,
	}
}

// lossySink wraps Collector's connector and drops every other record.
type lossySink struct{ connect.SinkConnector }

func (s lossySink) NewTask() connect.SinkTask { return &lossyTask{SinkTask: s.SinkConnector.NewTask()} }

type lossyTask struct {
	connect.SinkTask
	n int
}

func (t *lossyTask) Put(ctx context.Context, rs []*connect.Record) error {
	var keep []*connect.Record
	for _, r := range rs {
		if t.n++; t.n%2 == 0 {
			keep = append(keep, r)
		}
	}
	return t.SinkTask.Put(ctx, keep)
}

// leakySink wraps Collector's connector and leaks a goroutine per task.
type leakySink struct {
	connect.SinkConnector
	done chan struct{}
}

func (s leakySink) NewTask() connect.SinkTask {
	go func() { <-s.done }()
	return s.SinkConnector.NewTask()
}

func sinkDriver(wrap func(connect.SinkConnector) connect.SinkConnector) Driver {
	col := NewCollector()
	return Driver{
		Connector: func() connect.Connector { return wrap(col.Connector()) },
		ReadSink:  func(testing.TB) []string { return values(col.Records()) },
		Timeout:   500 * time.Millisecond,
	}
}

func TestAcceptanceOnCorrectConnectors(t *testing.T) {
	t.Run("source", func(t *testing.T) {
		AcceptanceTest(t, sourceDriver(t, breakage{}))
	})
	t.Run("sink", func(t *testing.T) {
		AcceptanceTest(t, sinkDriver(func(c connect.SinkConnector) connect.SinkConnector { return c }))
	})
}

// recorder is a testing.TB that records failures instead of failing the
// test, so that the suite's checks can be shown to fail.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	failed []string
}

func (r *recorder) fail(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = append(r.failed, msg)
}

func (r *recorder) Helper()                      {}
func (r *recorder) Log(...any)                   {}
func (r *recorder) Logf(string, ...any)          {}
func (r *recorder) Error(args ...any)            { r.fail(fmt.Sprint(args...)) }
func (r *recorder) Errorf(f string, args ...any) { r.fail(fmt.Sprintf(f, args...)) }
func (r *recorder) Fail()                        { r.fail("Fail") }
func (r *recorder) FailNow()                     { r.fail("FailNow"); runtime.Goexit() }
func (r *recorder) Fatal(args ...any)            { r.fail(fmt.Sprint(args...)); runtime.Goexit() }
func (r *recorder) Fatalf(f string, args ...any) { r.fail(fmt.Sprintf(f, args...)); runtime.Goexit() }
func (r *recorder) Skip(...any)                  { runtime.Goexit() }
func (r *recorder) Skipf(string, ...any)         { runtime.Goexit() }
func (r *recorder) SkipNow()                     { runtime.Goexit() }
func (r *recorder) Failed() bool                 { r.mu.Lock(); defer r.mu.Unlock(); return len(r.failed) > 0 }
func (r *recorder) messages() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.failed, "\n")
}

// runCheck runs one check against d and returns what it reported.
func runCheck(t *testing.T, run func(testing.TB, *Driver), d Driver) string {
	d.setDefaults()
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		run(r, &d)
	}()
	<-done
	if !r.Failed() {
		return ""
	}
	return r.messages()
}

func TestAcceptanceChecksFail(t *testing.T) {
	defer func(g time.Duration) { pollGrace = g }(pollGrace)
	pollGrace = 100 * time.Millisecond

	noName := sourceDriver(t, breakage{})
	noName.Config = connect.Config{"label": "l"}

	tests := []struct {
		name  string
		check func(testing.TB, *Driver)
		d     Driver
		want  string
	}{
		{"no version", checkSpec, sourceDriver(t, breakage{noVersion: true}), "Version is empty"},
		{"undescribed field", checkSpec, sourceDriver(t, breakage{undescribed: true}), `"mode" has no description`},
		{"required with default", checkSpec, sourceDriver(t, breakage{requiredDefault: true}), `"name" is required and has a default`},
		{"invalid default", checkSpec, sourceDriver(t, breakage{badDefault: true}), `"batch": default "ten" is invalid`},
		{"invalid config", checkValidConfig, noName, "name: is required"},
		{"optional field Start needs", checkRequiredFields, sourceDriver(t, breakage{startNeedsLabel: true}), `optional field "label"`},
		{"too many tasks", checkTaskConfigs, sourceDriver(t, breakage{tooManyTasks: true}), "TaskConfigs(1) returned 2 configs"},
		{"ignores stored offset", checkSource, sourceDriver(t, breakage{ignoreOffset: true}), "polled again 6 records from before the stored positions"},
		{"no position", checkSource, sourceDriver(t, breakage{noPosition: true}), "without a valid Position"},
		{"loses records", checkSource, sourceDriver(t, breakage{lossy: true}), "were not polled"},
		{"leaks a goroutine", checkSource, sourceDriver(t, breakage{leak: true}), "goroutines left"},
		{"Poll ignores ctx", checkSource, sourceDriver(t, breakage{slowPoll: true}), "must return promptly"},
		{"sink loses records", checkSink, sinkDriver(func(c connect.SinkConnector) connect.SinkConnector { return lossySink{c} }), "10 of the 20 records put and flushed are not in the sink"},
		{"sink leaks a goroutine", checkSink, sinkDriver(func(c connect.SinkConnector) connect.SinkConnector {
			done := make(chan struct{})
			t.Cleanup(func() { close(done) })
			return leakySink{c, done}
		}), "goroutines left"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runCheck(t, tt.check, tt.d)
			if !strings.Contains(got, tt.want) {
				t.Fatalf("check reported:\n%s\nwant a failure containing %q", got, tt.want)
			}
		})
	}
}

// TestAcceptanceChecksPass runs the checks that cannot be broken through a
// connector (they guard the spec machinery) on the correct connector through
// runCheck, so that runCheck itself is shown to report success.
func TestAcceptanceChecksPass(t *testing.T) {
	for name, check := range map[string]func(testing.TB, *Driver){
		CheckRequiredFields: checkRequiredFields,
		CheckTypedFields:    checkTypedFields,
		CheckSource:         checkSource,
	} {
		if got := runCheck(t, check, sourceDriver(t, breakage{})); got != "" {
			t.Errorf("%s on a correct connector reported:\n%s", name, got)
		}
	}
}
