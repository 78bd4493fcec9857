package connect

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"time"
)

// Record is one unit of data moving through a pipeline: what a SourceTask
// emits and what a SinkTask receives.
//
// Key and Value hold either raw bytes ([]byte), a string, or structured values
// built from nil, bool, the integer and float kinds, string, []byte,
// time.Time, json.Number, []any and map[string]any, or a typed row
// (*Struct), whose schema travels with it to the sink. Converters define how
// these become bytes on the transport; the JSON converter round-trips all of
// them (integers come back as int64, or uint64 above math.MaxInt64).
//
// A change-data-capture source sets Change instead of Value: an operation with
// before and after images of a row, laid out on the wire as Debezium's
// envelope.
type Record struct {
	// Topic is the destination stream. A source sets it; when empty the
	// runtime uses the connector's "topic" setting.
	Topic string
	// Key decides the transport queue: records with equal keys stay in order.
	Key any
	// Value is the payload of a plain record. Nil for change events.
	Value any
	// Change carries a change event (insert, update, delete, snapshot read).
	Change *Change
	// Headers are string metadata carried with the record. Keys starting
	// with "connect." are reserved for the runtime and converters.
	Headers Headers
	// Timestamp is when the record was produced at its origin.
	Timestamp time.Time
	// Position is where the record sits in its source: set by sources, used
	// by the runtime to commit offsets. Not carried over the transport.
	Position Position
	// Origin is where a record a sink task receives was read from the
	// transport (topic, queue, offset), set by the runtime; zero on the
	// source side. A sink that stores its progress in the target system
	// (exactly-once) keys it by Origin.
	Origin Origin
}

// Clone returns a copy of r whose Headers map can be changed independently.
// Key, Value and Change are shared.
func (r *Record) Clone() *Record {
	c := *r
	c.Headers = maps.Clone(r.Headers)
	return &c
}

// Operation is the kind of change a change event describes. The values are
// Debezium's op codes.
type Operation string

// Change event operations.
const (
	OpCreate   Operation = "c"
	OpUpdate   Operation = "u"
	OpDelete   Operation = "d"
	OpRead     Operation = "r" // a row read by a snapshot
	OpTruncate Operation = "t"
)

// Valid reports whether o is one of the defined operations.
func (o Operation) Valid() bool {
	switch o {
	case OpCreate, OpUpdate, OpDelete, OpRead, OpTruncate:
		return true
	}
	return false
}

// Change is a change event on one row. Before is nil for creates and
// snapshot reads, After is nil for deletes. Source describes where the change
// came from (Debezium's "source" block: server, db, table, file, pos, ...).
//
// Before, After and Source are rows: a *Struct (typed, fields in the
// table's order, the schema shared by the rows of a table version) or a
// map[string]any (untyped), or nil. Read them with Lookup or AsMap when
// either kind may come; any other type is an error for the converters.
//
// Transaction and At are Debezium's transaction block and envelope
// timestamps; sources that know them set them, and the JSON converter
// writes them as Debezium does.
type Change struct {
	Op     Operation
	Before any
	After  any
	Source any
	// Transaction places the event in the source transaction that made
	// it (Debezium's transaction block, provide.transaction.metadata);
	// nil when the source does not say.
	Transaction *Transaction
	// At is when the connector processed the event: Debezium's envelope
	// ts_ms, ts_us and ts_ns. The zero time means the source does not
	// say; the envelope's ts_ms is then the record's Timestamp.
	At time.Time
}

// Transaction is Debezium's transaction block of a change event: the
// transaction's ID, the event's place among all events of the transaction
// (TotalOrder, from 1) and among those of its table (DataCollectionOrder,
// from 1).
type Transaction struct {
	ID                  string
	TotalOrder          int64
	DataCollectionOrder int64
}

// Headers are a record's string metadata.
type Headers map[string]string

// Get returns the value of key, or "" when absent. Safe on a nil Headers.
func (h Headers) Get(key string) string { return h[key] }

// Position is where a record sits in its source: a partition (a file, a
// binlog stream, a table) and an offset within it. The runtime treats Offset
// as opaque JSON; it stores the newest committed Position per partition and
// hands it back when a task starts again.
type Position struct {
	Partition string          `json:"partition"`
	Offset    json.RawMessage `json:"offset"`
}

// NewPosition builds a Position whose Offset is v encoded as JSON. It panics
// if v cannot be encoded, which is a programming error in the source.
func NewPosition(partition string, v any) Position {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("connect: position offset for %q is not JSON-encodable: %v", partition, err))
	}
	return Position{Partition: partition, Offset: b}
}

// Decode unmarshals the offset into v.
func (p Position) Decode(v any) error {
	if err := json.Unmarshal(p.Offset, v); err != nil {
		return fmt.Errorf("connect: decode offset of partition %q: %w", p.Partition, err)
	}
	return nil
}

// IsZero reports whether p carries no position.
func (p Position) IsZero() bool { return p.Partition == "" && len(p.Offset) == 0 }

// Message is a record as the transport carries it: bytes and string headers.
// Converters turn Records into Messages and back.
type Message struct {
	Topic   string
	Key     []byte
	Value   []byte
	Headers Headers

	// Set by the transport on received messages: which queue of the topic
	// the message came from and its offset there. Publishers leave them zero.
	Queue  int
	Offset int64
	// Redelivered counts earlier deliveries of this message to its consumer
	// group, when the transport knows it.
	Redelivered int
}

// Converter turns records into transport messages and back.
//
// Encode and Decode are called concurrently from several tasks and must be
// safe for that. An error from either is a conversion failure: the runtime
// sends the message to the dead-letter topic or fails the task, according to
// the connector's errors.tolerance.
type Converter interface {
	Encode(r *Record) (*Message, error)
	Decode(m *Message) (*Record, error)
}

// Spec describes a connector plugin: its name, version and settings.
type Spec struct {
	Name        string
	Version     string
	Description string
	Config      ConfigSpec
}

// Connector is the part of a plugin that runs once per connector instance:
// it validates the configuration and splits the work into task configs.
// Connectors are created by a factory the application hands to the runtime;
// one value serves one connector instance.
type Connector interface {
	// Spec describes the plugin; it must not depend on Start having run.
	Spec() Spec
	// Start is called with a validated config (defaults applied) before
	// TaskConfigs.
	Start(ctx context.Context, cc ConnectorContext, cfg Config) error
	// TaskConfigs splits the work into at most maxTasks task configs.
	TaskConfigs(maxTasks int) ([]Config, error)
	// Stop releases what Start acquired. It is called once.
	Stop(ctx context.Context) error
}

// ConfigValidator is implemented by connectors that check more than their
// ConfigSpec expresses (cross-field rules, reachability). The runtime calls
// Validate after the spec's own checks passed; return a *ConfigError to name
// fields.
type ConfigValidator interface {
	Validate(ctx context.Context, cfg Config) error
}

// ConnectorContext is what the runtime offers a running connector.
type ConnectorContext interface {
	// RequestTaskReconfiguration asks the runtime to call TaskConfigs again
	// and restart the tasks with the result (new tables appeared, say).
	RequestTaskReconfiguration()
	// Logger returns the connector's logger.
	Logger() *slog.Logger
}

// Opener is implemented by components (offset stores, transports) that
// acquire resources or read state before use. The runtime calls Open from
// Start and fails Start with its error.
type Opener interface {
	Open(ctx context.Context) error
}
