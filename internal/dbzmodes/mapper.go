package dbzmodes

import (
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	connect "github.com/openmessaging/connect-go"
)

// DefaultCacheSize is how many input schemas a Mapper remembers by default.
const DefaultCacheSize = 1024

// Mapper maps rows in connect-go's encodings to the encodings of its
// Settings. It derives the output schema of an input schema once and
// remembers it by the *connect.Schema pointer (sources share one schema
// among the rows of a table version), for up to a bounded number of
// schemas. Safe for concurrent use.
type Mapper struct {
	s    Settings
	max  int
	mu   sync.Mutex
	plan map[*connect.Schema]*plan
	last atomic.Pointer[plan] // the newest plan: rows of one table come in runs
}

// NewMapper returns a mapper for s. cacheSize bounds the schemas it
// remembers (DefaultCacheSize when <= 0); when full it forgets them all.
func NewMapper(s Settings, cacheSize int) *Mapper {
	if cacheSize <= 0 {
		cacheSize = DefaultCacheSize
	}
	return &Mapper{s: s, max: cacheSize, plan: make(map[*connect.Schema]*plan)}
}

// Settings returns the mapper's settings.
func (m *Mapper) Settings() Settings { return m.s }

// op is how a field's values are mapped.
type op uint8

const (
	opKeep       op = iota // the value as it is
	opDateDays             // DATE: days since the epoch
	opDateISO              // DATE: IsoDate
	opTsMillis             // DATETIME: ms since the epoch
	opTsMicros             // DATETIME: µs since the epoch
	opTsNanos              // DATETIME: ns since the epoch
	opTsISO                // DATETIME: IsoTimestamp
	opZoned                // TIMESTAMP: ZonedTimestamp
	opTimeMicros           // TIME: µs, any range
	opTimeMillis           // TIME: ms of the day
	opTimeISO              // TIME: IsoTime
	opDecBytes             // DECIMAL: Kafka's Decimal
	opDecDouble            // DECIMAL: float64
	opUintLong             // BIGINT UNSIGNED: int64, wrapping
	opUintBytes            // BIGINT UNSIGNED: Kafka's Decimal, scale 0
	opBitsBytes            // BIT(n): io.debezium.data.Bits
	opBinaryText           // bytes as base64, base64-url-safe or hex text
	opStruct               // a nested row
)

type fieldPlan struct {
	op       op
	unsafe   bool // an integer field under unsafe.integer.handling.mode=string
	optional bool // the output may be null
	fraction int  // opZoned: fraction digits
	scale    int  // opDecBytes
	width    int  // opBitsBytes
	fallback any  // a temporal op's value for a zero date in a NOT NULL field
	sub      *plan
}

// plan is the mapping of one struct schema.
type plan struct {
	in, out  *connect.Schema
	fields   []fieldPlan
	identity bool // no value changes: only the schema is swapped
}

// Schema returns the schema rows of schema in take after mapping. For
// anything but a struct it is the field schema the mapping gives a value
// of schema in.
func (m *Mapper) Schema(in *connect.Schema) (*connect.Schema, error) {
	if in == nil {
		return nil, fmt.Errorf("dbzmodes: nil schema")
	}
	if in.Type != connect.TypeStruct {
		out, _ := m.leaf(in)
		return out, nil
	}
	p, err := m.planFor(in)
	if err != nil {
		return nil, err
	}
	return p.out, nil
}

func (m *Mapper) planFor(in *connect.Schema) (*plan, error) {
	if p := m.last.Load(); p != nil && p.in == in {
		return p, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.plan[in]
	if !ok {
		var err error
		if p, err = m.makePlan(in, 0); err != nil {
			return nil, err
		}
		if len(m.plan) >= m.max {
			clear(m.plan)
		}
		m.plan[in] = p
	}
	m.last.Store(p)
	return p, nil
}

const maxDepth = 32

func (m *Mapper) makePlan(in *connect.Schema, depth int) (*plan, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("dbzmodes: schema %s nests more than %d structs", in.Name, maxDepth)
	}
	p := &plan{in: in, fields: make([]fieldPlan, len(in.Fields)), identity: true}
	fields := make([]connect.StructField, len(in.Fields))
	same := true
	for i, f := range in.Fields {
		if f.Schema == nil {
			return nil, fmt.Errorf("dbzmodes: field %s of %s has no schema", f.Name, in.Name)
		}
		var out *connect.Schema
		var fp fieldPlan
		if f.Schema.Type == connect.TypeStruct {
			sub, err := m.makePlan(f.Schema, depth+1)
			if err != nil {
				return nil, err
			}
			out, fp = sub.out, fieldPlan{op: opKeep}
			if !sub.identity {
				fp = fieldPlan{op: opStruct, sub: sub}
			}
		} else {
			out, fp = m.leaf(f.Schema)
		}
		fp.optional = out.Optional
		p.fields[i] = fp
		if fp.op != opKeep || fp.unsafe {
			p.identity = false
		}
		if out != f.Schema {
			same = false
		}
		fields[i] = connect.StructField{Name: f.Name, Schema: out}
	}
	if same {
		p.out = in
		return p, nil
	}
	p.out = connect.NewStructSchema(in.Name, in.Optional, fields...)
	p.out.Doc = in.Doc
	return p, nil
}

// leaf maps a field schema that is not a struct.
func (m *Mapper) leaf(in *connect.Schema) (*connect.Schema, fieldPlan) {
	s := m.s
	debezium := s.Encoding == EncodingDebezium
	// derive returns a copy of in with the literal type and name given.
	derive := func(t connect.Type, name string) *connect.Schema {
		return &connect.Schema{Type: t, Name: name, Optional: in.Optional, Doc: in.Doc}
	}
	var fp fieldPlan
	switch in.Type {
	case connect.TypeDate:
		switch s.Time {
		case TimeAdaptiveUs:
			fp = fieldPlan{op: opDateDays, fallback: int64(0)}
			return derive(connect.TypeInt32, NameDate), fp
		case TimeConnect:
			fp = fieldPlan{op: opDateDays, fallback: int64(0)}
			return derive(connect.TypeInt32, NameKafkaDate), fp
		case TimeIsoString:
			fp = fieldPlan{op: opDateISO, fallback: "1970-01-01Z"}
			return derive(connect.TypeString, NameIsoDate), fp
		}
		// connect_go: zero and invalid dates are the server's text, so
		// the field keeps its column's optionality.
		return in, fp
	case connect.TypeTimestamp:
		if s.Time == TimeConnectGo {
			return in, fp
		}
		if in.Zoned { // TIMESTAMP: ZonedTimestamp in every mode of Debezium's
			fp = fieldPlan{op: opZoned, fraction: in.Fraction, fallback: "1970-01-01T00:00:00Z"}
			return derive(connect.TypeString, NameZonedTimestamp), fp
		}
		switch s.Time {
		case TimeAdaptiveUs:
			switch {
			case in.Fraction <= 3:
				return derive(connect.TypeInt64, NameTimestamp), fieldPlan{op: opTsMillis, fallback: int64(0)}
			case in.Fraction <= 6:
				return derive(connect.TypeInt64, NameMicroTimestamp), fieldPlan{op: opTsMicros, fallback: int64(0)}
			}
			return derive(connect.TypeInt64, NameNanoTimestamp), fieldPlan{op: opTsNanos, fallback: int64(0)}
		case TimeConnect:
			return derive(connect.TypeInt64, NameKafkaTimestamp), fieldPlan{op: opTsMillis, fallback: int64(0)}
		}
		return derive(connect.TypeString, NameIsoTimestamp), fieldPlan{op: opTsISO, fallback: "1970-01-01T00:00:00Z"}
	case connect.TypeTime:
		switch s.Time {
		case TimeAdaptiveUs:
			return derive(connect.TypeInt64, NameMicroTime), fieldPlan{op: opTimeMicros, fallback: int64(0)}
		case TimeConnect:
			return derive(connect.TypeInt32, NameKafkaTime), fieldPlan{op: opTimeMillis, fallback: int64(0)}
		case TimeIsoString:
			return derive(connect.TypeString, NameIsoTime), fieldPlan{op: opTimeISO, fallback: "00:00:00Z"}
		}
	case connect.TypeDecimal:
		switch s.Decimal {
		case DecimalPrecise:
			out := derive(connect.TypeBytes, NameKafkaDecimal)
			out.Precision, out.Scale = in.Precision, in.Scale
			return out, fieldPlan{op: opDecBytes, scale: in.Scale}
		case DecimalDouble:
			return derive(connect.TypeFloat64, ""), fieldPlan{op: opDecDouble}
		case DecimalString: // connect-go's text is BigDecimal.toPlainString with the column's scale
			return derive(connect.TypeString, ""), fp
		}
	case connect.TypeUint64:
		switch s.BigintUnsigned {
		case BigintLong:
			return derive(connect.TypeInt64, ""), fieldPlan{op: opUintLong, unsafe: s.UnsafeIntegers == UnsafeString}
		case BigintPrecise:
			out := derive(connect.TypeBytes, NameKafkaDecimal)
			out.Precision, out.Scale = 20, 0
			return out, fieldPlan{op: opUintBytes}
		}
		fp.unsafe = s.UnsafeIntegers == UnsafeString
	case connect.TypeInt64:
		fp.unsafe = s.UnsafeIntegers == UnsafeString
	case connect.TypeBit:
		if in.Width > 1 {
			if s.Bits == BitsBytes {
				out := derive(connect.TypeBytes, NameBits)
				out.Width = in.Width
				return out, fieldPlan{op: opBitsBytes, width: in.Width}
			}
			fp.unsafe = s.UnsafeIntegers == UnsafeString && in.Width > 53
		} else if debezium {
			return derive(connect.TypeBool, ""), fp // Debezium's BIT(1): BOOLEAN
		}
	case connect.TypeBytes:
		if s.Binary != BinaryBytes {
			return derive(connect.TypeString, ""), fieldPlan{op: opBinaryText}
		}
	case connect.TypeString:
		if debezium && in.Charset != "" { // Debezium's strings carry no charset
			return derive(connect.TypeString, ""), fp
		}
	}
	return in, fp
}

// MapInPlace maps row's values in place and gives it the mapped schema.
// The row must belong to the caller (not handed to anyone yet); rows of a
// nested struct field are mapped in place too.
func (m *Mapper) MapInPlace(row *connect.Struct) error {
	if row == nil {
		return nil
	}
	p, err := m.planFor(row.Schema)
	if err != nil {
		return err
	}
	return m.apply(p, row, true)
}

// Map returns row mapped to a new row; row is not changed. A row needing
// no value changes shares row's values.
func (m *Mapper) Map(row *connect.Struct) (*connect.Struct, error) {
	if row == nil {
		return nil, nil
	}
	p, err := m.planFor(row.Schema)
	if err != nil {
		return nil, err
	}
	out := &connect.Struct{Schema: row.Schema, Values: row.Values}
	if !p.identity {
		out.Values = slices.Clone(row.Values)
	}
	if err := m.apply(p, out, false); err != nil {
		return nil, err
	}
	return out, nil
}

func (m *Mapper) apply(p *plan, row *connect.Struct, inPlace bool) error {
	if row.Schema != p.in {
		return fmt.Errorf("dbzmodes: row of schema %s mapped with the plan of %s", row.Schema.Name, p.in.Name)
	}
	if len(row.Values) != len(p.fields) {
		return fmt.Errorf("dbzmodes: row of %d values for %d fields of %s", len(row.Values), len(p.fields), p.in.Name)
	}
	row.Schema = p.out
	if p.identity {
		return nil
	}
	for i := range p.fields {
		fp := &p.fields[i]
		if fp.op == opKeep && !fp.unsafe {
			continue
		}
		v, err := m.value(fp, row.Values[i], inPlace)
		if err != nil {
			return fmt.Errorf("dbzmodes: field %s of %s: %w", p.in.Fields[i].Name, p.in.Name, err)
		}
		row.Values[i] = v
	}
	return nil
}

// value maps one value of connect-go's encoding.
func (m *Mapper) value(fp *fieldPlan, v any, inPlace bool) (any, error) {
	switch fp.op {
	case opKeep:
		return safeInteger(v), nil // fp.unsafe
	case opStruct:
		r, ok := v.(*connect.Struct)
		if !ok || r == nil {
			return v, nil
		}
		if !inPlace {
			r = &connect.Struct{Schema: r.Schema, Values: slices.Clone(r.Values)}
		}
		if err := m.apply(fp.sub, r, true); err != nil {
			return nil, err
		}
		return r, nil
	case opDateDays, opDateISO, opTsMillis, opTsMicros, opTsNanos, opTsISO, opZoned:
		t, ok := v.(time.Time)
		if !ok {
			if s, isText := v.(string); v != nil && !isText {
				return nil, fmt.Errorf("%T is not a date", v)
			} else if isText && s == "" {
				return nil, fmt.Errorf("empty date text")
			}
			// nil or the server's text of a zero or invalid date: what
			// Debezium makes of it, null or the epoch.
			if fp.optional {
				return nil, nil
			}
			return fp.fallback, nil
		}
		t = t.UTC()
		switch fp.op {
		case opDateDays:
			return epochDays(t), nil
		case opDateISO:
			return isoDate(t), nil
		case opTsMillis:
			return t.UnixMilli(), nil
		case opTsMicros:
			return t.UnixMicro(), nil
		case opTsNanos:
			return t.UnixNano(), nil
		case opTsISO:
			return isoTimestamp(t, 0), nil
		}
		return isoTimestamp(t, fp.fraction), nil
	case opTimeMicros, opTimeMillis, opTimeISO:
		if v == nil {
			if fp.optional {
				return nil, nil
			}
			return fp.fallback, nil
		}
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("%T is not a TIME text", v)
		}
		us, err := parseTime(s)
		if err != nil {
			return nil, err
		}
		if fp.op == opTimeMicros {
			return us, nil
		}
		if us < 0 || us >= usPerDay {
			return nil, fmt.Errorf("%w: TIME %s is outside 00:00:00 to 23:59:59.999999, which %s=%s cannot carry (Debezium makes it null or 0); %s or %s keep it",
				ErrUnrepresentable, s, KeyTimePrecision, m.s.Time, TimeAdaptiveUs, TimeConnectGo)
		}
		if fp.op == opTimeMillis {
			return us / 1000, nil
		}
		return isoTime(us), nil
	case opDecBytes, opDecDouble:
		if v == nil {
			return nil, nil
		}
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("%T is not a decimal text", v)
		}
		if fp.op == opDecDouble {
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return nil, fmt.Errorf("decimal %q: %w", s, err)
			}
			return f, nil
		}
		return unscaledBytes(s, fp.scale)
	case opUintLong, opUintBytes:
		if v == nil {
			return nil, nil
		}
		u, ok := asUint64(v)
		if !ok {
			return nil, fmt.Errorf("%T is not an integer", v)
		}
		if fp.op == opUintBytes {
			return uint64Bytes(u), nil
		}
		n := int64(u) // above math.MaxInt64 negative, as Debezium's long
		if fp.unsafe {
			return safeInteger(n), nil
		}
		return n, nil
	case opBitsBytes:
		if v == nil {
			return nil, nil
		}
		if b, ok := v.(bool); ok {
			if b {
				return bitsBytes(1, fp.width), nil
			}
			return bitsBytes(0, fp.width), nil
		}
		u, ok := asUint64(v)
		if !ok {
			return nil, fmt.Errorf("%T is not a BIT value", v)
		}
		return bitsBytes(u, fp.width), nil
	case opBinaryText:
		if v == nil {
			return nil, nil
		}
		b, ok := v.([]byte)
		if !ok {
			return nil, fmt.Errorf("%T is not bytes", v)
		}
		return encodeBinary(b, m.s.Binary), nil
	}
	return v, nil
}
