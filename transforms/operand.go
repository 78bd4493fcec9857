package transforms

import (
	"fmt"
	"time"

	connect "github.com/openmessaging/connect-go"
)

// operand is the part of a record a $Key or $Value transform works on.
type operand bool

const (
	onKey   operand = false
	onValue operand = true
)

func (o operand) suffix() string {
	if o == onKey {
		return "$Key"
	}
	return "$Value"
}

// get returns the key, or the value. The value of a change event is its
// envelope, as Kafka Connect sees a Debezium record: see envelope and
// envelopes.typed.
func (o operand) get(r *connect.Record, env *envelopes) any {
	if o == onKey {
		return r.Key
	}
	if r.Change != nil {
		if e := env.typed(r); e != nil {
			return e
		}
		return envelope(r)
	}
	return r.Value
}

// set stores v as the key, or the value. A value set on a change event
// stays a change event when v is still an envelope, else the record
// becomes a plain one with v as its value (see fromEnvelope).
func (o operand) set(r *connect.Record, v any) {
	if o == onKey {
		r.Key = v
		return
	}
	if r.Change != nil {
		fromEnvelope(r, v)
		return
	}
	r.Value = v
}

// Envelope member names: Debezium's.
const (
	envBefore = "before"
	envAfter  = "after"
	envSource = "source"
	envOp     = "op"
	envTsMs   = "ts_ms"
	envTsUs   = "ts_us"
	envTsNs   = "ts_ns"
	envTx     = "transaction"
)

// envelope returns a change event as the map Kafka Connect would hold for
// Debezium's envelope (the JSON converter writes the same document):
// before, after, source, op and, when the record has a timestamp, ts_ms;
// an event with a processing time (Change.At) has ts_ms, ts_us and ts_ns
// of that time and a transaction member (nil without a block); an event
// with a transaction block has it as a map (id, total_order,
// data_collection_order).
func envelope(r *connect.Record) map[string]any {
	c := r.Change
	m := make(map[string]any, 8)
	m[envBefore] = c.Before
	m[envAfter] = c.After
	m[envSource] = c.Source
	m[envOp] = string(c.Op)
	switch {
	case !c.At.IsZero():
		m[envTsMs], m[envTsUs], m[envTsNs] = c.At.UnixMilli(), c.At.UnixMicro(), c.At.UnixNano()
		m[envTx] = nil
	case !r.Timestamp.IsZero():
		m[envTsMs] = r.Timestamp.UnixMilli()
	}
	if t := c.Transaction; t != nil {
		m[envTx] = map[string]any{"id": t.ID, "total_order": t.TotalOrder, "data_collection_order": t.DataCollectionOrder}
	}
	return m
}

// fromEnvelope sets a transformed envelope back on a change event: when v
// still has an envelope's shape (only before, after, source, op and ts_ms,
// a valid op, maps or null for the images and source, an integer ts_ms),
// the record stays a change event with those parts (a changed ts_ms
// becomes its timestamp); otherwise it becomes a plain record whose value
// is v, as Kafka Connect would then write it.
func fromEnvelope(r *connect.Record, v any) {
	var c *connect.Change
	var ts *int64
	ok := false
	switch x := v.(type) {
	case map[string]any:
		c, ts, ok = asChange(x)
	case *connect.Struct:
		if x != nil && x.Schema != nil && len(x.Values) == len(x.Schema.Fields) {
			c, ts, ok = structAsChange(x)
		}
	}
	if ok {
		r.Change, r.Value = c, nil
		// ts_ms is the record's timestamp unless it is the processing
		// time's (the envelope has ts_us or ts_ns).
		if ts != nil && c.At.IsZero() && (r.Timestamp.IsZero() || *ts != r.Timestamp.UnixMilli()) {
			r.Timestamp = time.UnixMilli(*ts)
		}
		return
	}
	r.Change, r.Value = nil, v
}

func asChange(m map[string]any) (*connect.Change, *int64, bool) {
	c := &connect.Change{}
	var ts *int64
	for k, v := range m {
		if !envelopeMember(c, &ts, k, v) {
			return nil, nil, false
		}
	}
	if c.Op == "" {
		return nil, nil, false
	}
	return c, ts, true
}

// structAsChange is asChange for a typed envelope; a null ts_ms is
// absent.
func structAsChange(s *connect.Struct) (*connect.Change, *int64, bool) {
	c := &connect.Change{}
	var ts *int64
	for i, f := range s.Schema.Fields {
		v := s.Values[i]
		if v == nil && (f.Name == envTsMs || f.Name == envTsUs || f.Name == envTsNs || f.Name == envTx) {
			continue
		}
		if !envelopeMember(c, &ts, f.Name, v) {
			return nil, nil, false
		}
	}
	if c.Op == "" {
		return nil, nil, false
	}
	return c, ts, true
}

// envelopeMember sets member k of an envelope on c (ts_ms on *ts); false
// when k is no member or v does not fit it.
func envelopeMember(c *connect.Change, ts **int64, k string, v any) bool {
	switch k {
	case envBefore, envAfter, envSource:
		var img any
		if v != nil {
			if !connect.IsRow(v) {
				return false
			}
			img = v
		}
		switch k {
		case envBefore:
			c.Before = img
		case envAfter:
			c.After = img
		default:
			c.Source = img
		}
	case envOp:
		s, ok := v.(string)
		if !ok || !connect.Operation(s).Valid() {
			return false
		}
		c.Op = connect.Operation(s)
	case envTsMs:
		n, ok := v.(int64)
		if !ok {
			return false
		}
		*ts = &n
	case envTsUs, envTsNs:
		n, ok := v.(int64)
		if !ok {
			return false
		}
		if k == envTsNs {
			c.At = time.Unix(0, n).UTC()
		} else if c.At.IsZero() || c.At.Nanosecond()%1000 == 0 { // ts_ns wins
			c.At = time.UnixMicro(n).UTC()
		}
	case envTx:
		if v == nil {
			return true
		}
		t, ok := transactionOf(v)
		if !ok {
			return false
		}
		c.Transaction = t
	default:
		return false
	}
	return true
}

// transactionOf reads a transaction block (a row of id, total_order and
// data_collection_order).
func transactionOf(v any) (*connect.Transaction, bool) {
	if !connect.IsRow(v) {
		return nil, false
	}
	id, _ := connect.Lookup(v, "id")
	total, _ := connect.Lookup(v, "total_order")
	coll, _ := connect.Lookup(v, "data_collection_order")
	t := &connect.Transaction{}
	var ok1, ok2, ok3 bool
	t.ID, ok1 = id.(string)
	t.TotalOrder, ok2 = total.(int64)
	t.DataCollectionOrder, ok3 = coll.(int64)
	return t, ok1 && ok2 && ok3
}

// typeOf names a value's type in error messages.
func typeOf(v any) string {
	if v == nil {
		return "null"
	}
	return fmt.Sprintf("%T", v)
}
