package connect

import "context"

// Transform is a single message transform (Kafka Connect's
// Transformation): it reshapes one record at a time on its way through a
// connector. A source connector's records go through its transforms before
// conversion, a sink connector's after conversion.
//
// A connector config names its transforms the way Kafka Connect does:
//
//	transforms=route,mask
//	transforms.route.type=org.apache.kafka.connect.transforms.RegexRouter
//	transforms.route.regex=(.*)
//	transforms.route.replacement=prod-$1
//	transforms.route.predicate=isOrders   (optional: apply only when it holds)
//	transforms.route.negate=true          (optional: ... only when it does not)
//	predicates=isOrders
//	predicates.isOrders.type=TopicNameMatches
//	predicates.isOrders.pattern=orders.*
//
// The runtime makes a new value per task (from the factory handed to
// runtime.WithTransform, or a built-in of package transforms), calls
// Configure once with the settings under "transforms.<alias>." (prefix
// removed, Spec defaults applied), then Apply for each record, then Close
// once when the task stops. Apply may be called concurrently from several
// goroutines, as Converter.Encode is: a source task transforms and converts
// its batches in parallel (the records of one batch in order, by one
// goroutine). Keep Apply free of unsynchronised state.
//
// Validation checks the settings against Spec().Config before Configure
// runs: a setting the spec does not name is an error, never ignored.
type Transform interface {
	// Spec describes the transform: Name is its type name, Config its
	// settings. It must not depend on Configure having run.
	Spec() Spec
	// Configure prepares the transform. An error fails validation (and the
	// task): return a *ConfigError naming the settings (without the
	// "transforms.<alias>." prefix, which the runtime adds).
	Configure(cfg Config) error
	// Apply returns r changed, a new record, or nil to drop r. The runtime
	// hands each transform a record of its own: Apply may set r's fields,
	// but must not modify the maps and slices r refers to (Headers, Key,
	// Value, Change and what they hold), which may be shared with the
	// source or with other records; build new ones instead.
	//
	// An error fails the record: it is retried while it is Retriable (up to
	// errors.retry.timeout), then dead-lettered with stage TRANSFORMATION or
	// fails the task, per the connector's errors.tolerance. A panic counts as
	// an error. ctx is done when the task stops; on the sink side it
	// carries the record's Origin.
	Apply(ctx context.Context, r *Record) (*Record, error)
	// Close releases what Configure acquired. It is called once, also after
	// Configure failed.
	Close() error
}

// Predicate decides whether a transform applies to a record (Kafka
// Connect's Predicate). Its lifecycle is a Transform's: Configure with the
// settings under "predicates.<alias>.", Test per record (concurrently, as
// Transform.Apply), Close once.
type Predicate interface {
	// Spec describes the predicate, as Transform.Spec does.
	Spec() Spec
	// Configure prepares the predicate, as Transform.Configure does.
	Configure(cfg Config) error
	// Test reports whether r matches. It must not modify r. An error fails
	// the record as a failing transform does.
	Test(ctx context.Context, r *Record) (bool, error)
	// Close releases what Configure acquired.
	Close() error
}

// Origin is where a record a sink task receives sat on the transport: the
// topic it was read from (before any transform renamed Record.Topic), the
// queue of that topic and its offset there (Kafka's original topic,
// partition and offset). The zero Origin (Topic "") means none: records of
// sources have none.
type Origin struct {
	Topic  string
	Queue  int
	Offset int64
	// Keyed reports that the message had a key, by which the transport
	// chose its queue: the messages of one key share a queue, in the
	// order they were published. A message without a key may have gone
	// to any queue (and another one when its send was retried).
	Keyed bool
}

// IsZero reports whether o names no place on the transport.
func (o Origin) IsZero() bool { return o.Topic == "" }

type originKey struct{}

// ContextWithOrigin returns a copy of ctx carrying o. The runtime hands
// sink-side transforms such a context; tests of transforms use it too.
func ContextWithOrigin(ctx context.Context, o Origin) context.Context {
	return context.WithValue(ctx, originKey{}, o)
}

// OriginFrom returns the Origin carried by ctx, and false when it carries
// none (source-side records have no origin yet).
func OriginFrom(ctx context.Context) (Origin, bool) {
	o, ok := ctx.Value(originKey{}).(Origin)
	return o, ok
}

// NewTransform returns a Transform without settings whose Apply is fn:
// for transforms an application writes in a few lines.
//
//	runtime.WithTransform("Upper", func() connect.Transform {
//		return connect.NewTransform("Upper", func(ctx context.Context, r *connect.Record) (*connect.Record, error) {
//			if s, ok := r.Value.(string); ok {
//				r.Value = strings.ToUpper(s)
//			}
//			return r, nil
//		})
//	})
//
// Its Spec names no settings, so the runtime rejects any; Configure and
// Close do nothing. NewTransform panics if fn is nil.
func NewTransform(name string, fn func(ctx context.Context, r *Record) (*Record, error)) Transform {
	if fn == nil {
		panic("connect: NewTransform: fn is nil")
	}
	return &funcTransform{name: name, fn: fn}
}

type funcTransform struct {
	name string
	fn   func(ctx context.Context, r *Record) (*Record, error)
}

func (f *funcTransform) Spec() Spec { return Spec{Name: f.name} }

func (f *funcTransform) Configure(Config) error { return nil }

func (f *funcTransform) Apply(ctx context.Context, r *Record) (*Record, error) { return f.fn(ctx, r) }
func (f *funcTransform) Close() error                                          { return nil }
