package connecttest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	connect "github.com/openmessaging/connect-go"
)

// Driver tells AcceptanceTest how to make, configure and feed a connector.
type Driver struct {
	// Connector returns a new connector, as the factory handed to the
	// runtime does. Required.
	Connector func() connect.Connector
	// Config is a valid configuration of the connector. Required.
	Config connect.Config

	// WriteSource adds n new records to the source's input (appends lines,
	// inserts rows) and returns their identities, as RecordID will report
	// them. Required for sources.
	WriteSource func(t testing.TB, n int) []string
	// RecordID returns the identity of a record the source emitted.
	// Required for sources.
	RecordID func(r *connect.Record) string

	// SinkRecords returns n records for the sink and the identities
	// ReadSink reports for them once written. The default makes records
	// whose string Value is their identity.
	SinkRecords func(t testing.TB, n int) ([]*connect.Record, []string)
	// ReadSink returns the identities of every record in the sink's target.
	// Required for sinks.
	ReadSink func(t testing.TB) []string

	// Records is how many records each step writes; default 20.
	Records int
	// Timeout bounds each wait (for records to show up, for Put and
	// Flush); default 10s.
	Timeout time.Duration
	// GoleakOptions are passed to goleak when looking for goroutines left
	// behind by a stopped connector (to ignore a third-party leak, say:
	// name the upstream issue in a comment). Goroutines running before a
	// check started are always ignored.
	GoleakOptions []goleak.Option
	// Skip names checks not to run, by subtest name.
	Skip []string
}

// The checks, by subtest name.
const (
	CheckSpec           = "Spec"
	CheckValidConfig    = "ValidConfig"
	CheckRequiredFields = "RequiredFields"
	CheckTypedFields    = "TypedFields"
	CheckTaskConfigs    = "TaskConfigs"
	CheckSource         = "Source"
	CheckSink           = "Sink"
)

// acceptanceConnector is the connector name the checks run tasks under.
const acceptanceConnector = "acceptance"

// pollGrace is how long after its ctx is done Poll may take to return. A
// variable so that the package's own tests can shorten it.
var pollGrace = 2 * time.Second

type check struct {
	name string
	run  func(t testing.TB, d *Driver)
}

// AcceptanceTest runs the checks every connector must pass, each as a
// subtest of t:
//
//   - Spec: the spec names the plugin, its version and what it does; every
//     field has a unique name and a description; required and secret fields
//     have no default; every default and allowed value is itself valid.
//   - ValidConfig: Driver.Config passes the spec and the connector's
//     ConfigValidator, as the runtime checks it.
//   - RequiredFields: without a required field the config fails validation
//     with a *connect.ConfigError naming it; without an optional field that
//     still validates, the connector starts (a field Start cannot do
//     without must be declared Required).
//   - TypedFields: a value of the wrong type for an int, float, bool or
//     duration field, or outside a field's allowed values, is rejected
//     naming the field.
//   - TaskConfigs: the started connector returns between 1 and maxTasks
//     task configs.
//   - Source: a task polls every record written after it started; its
//     positions are stored, Commit is called (for a SourceCommitter) and
//     everything stops; more records are written, and a new connector and
//     task resuming from the stored positions poll every one of them while
//     re-reading none from before the stored positions (records at a stored
//     position may come again: at-least-once; duplicates are logged). Poll
//     returns promptly once its ctx is done. No goroutine is left.
//   - Sink: records Put in two batches and flushed are all in the target
//     once the task and connector stopped (duplicates are logged). No
//     goroutine is left.
//
// Checks that goroutines are left use goleak, so do not run AcceptanceTest
// in parallel with other tests of the same package.
func AcceptanceTest(t *testing.T, d Driver) {
	t.Helper()
	if d.Connector == nil {
		t.Fatal("connecttest: Driver.Connector is nil")
	}
	d.setDefaults()
	checks := []check{
		{CheckSpec, checkSpec},
		{CheckValidConfig, checkValidConfig},
		{CheckRequiredFields, checkRequiredFields},
		{CheckTypedFields, checkTypedFields},
		{CheckTaskConfigs, checkTaskConfigs},
	}
	switch c := d.Connector().(type) {
	case connect.SourceConnector:
		checks = append(checks, check{CheckSource, checkSource})
	case connect.SinkConnector:
		checks = append(checks, check{CheckSink, checkSink})
	default:
		t.Fatalf("connecttest: %T is neither a connect.SourceConnector nor a connect.SinkConnector", c)
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if slices.Contains(d.Skip, c.name) {
				t.Skip("skipped by Driver.Skip")
			}
			c.run(t, &d)
		})
	}
}

func (d *Driver) setDefaults() {
	if d.Records <= 0 {
		d.Records = 20
	}
	if d.Timeout <= 0 {
		d.Timeout = 10 * time.Second
	}
	if d.SinkRecords == nil {
		d.SinkRecords = defaultSinkRecords
	}
}

// defaultSinkRecords makes n records whose string Value is their identity,
// unique across runs so that a target shared between runs does not confuse
// the check.
func defaultSinkRecords(_ testing.TB, n int) ([]*connect.Record, []string) {
	run := time.Now().UnixNano()
	recs := make([]*connect.Record, n)
	ids := make([]string, n)
	for i := range recs {
		ids[i] = fmt.Sprintf("acceptance-%x-%d", run, i)
		recs[i] = &connect.Record{
			Topic:     "acceptance",
			Key:       fmt.Sprintf("key-%d", i%3),
			Value:     ids[i],
			Headers:   connect.Headers{"acceptance": "true"},
			Timestamp: time.Now(),
		}
	}
	return recs, ids
}

// validate checks cfg as the runtime does: the spec first, then the
// connector's own ConfigValidator.
func validate(ctx context.Context, conn connect.Connector, cfg connect.Config) error {
	spec := conn.Spec()
	if err := spec.Config.Validate(cfg); err != nil {
		return err
	}
	if v, ok := conn.(connect.ConfigValidator); ok {
		return v.Validate(ctx, spec.Config.Apply(cfg))
	}
	return nil
}

// fieldReason returns the reason err gives for field, if it names it.
func fieldReason(err error, field string) (string, bool) {
	var ce *connect.ConfigError
	if !errors.As(err, &ce) {
		return "", false
	}
	for _, f := range ce.Fields {
		if f.Field == field {
			return f.Reason, true
		}
	}
	return "", false
}

// without returns a copy of cfg without f, under its name or an alias.
func without(cfg connect.Config, f connect.Field) connect.Config {
	out := maps.Clone(cfg)
	delete(out, f.Name)
	for _, a := range f.Aliases {
		delete(out, a)
	}
	return out
}

// sameOffset reports whether a and b are the same position, ignoring JSON
// formatting.
func sameOffset(a, b connect.Position) bool {
	return a.Partition == b.Partition && bytes.Equal(compact(a.Offset), compact(b.Offset))
}

func compact(raw []byte) []byte {
	var buf bytes.Buffer
	if json.Compact(&buf, raw) != nil {
		return raw
	}
	return buf.Bytes()
}

// sample returns up to 5 elements of ids, sorted, for messages.
func sample(ids []string) string {
	slices.Sort(ids)
	if len(ids) > 5 {
		return strings.Join(ids[:5], ", ") + fmt.Sprintf(" and %d more", len(ids)-5)
	}
	return strings.Join(ids, ", ")
}

// verifyNoLeaks reports goroutines started since the check began.
func verifyNoLeaks(t testing.TB, opts []goleak.Option) {
	t.Helper()
	if err := goleak.Find(opts...); err != nil {
		t.Errorf("goroutines left after the connector and its tasks stopped: %v", err)
	}
}
