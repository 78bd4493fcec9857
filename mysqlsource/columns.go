package mysqlsource

import (
	"fmt"
	"strings"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
	"golang.org/x/text/encoding"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/internal/dbzmodes"
)

// kind is how a column's values are turned into Go values; see the type
// mapping in the package documentation.
type kind uint8

const (
	kindInt       kind = iota // every integer type: int64, uint64 above MaxInt64
	kindFloat                 // FLOAT: float64 of the float32's shortest decimal
	kindDouble                // DOUBLE: float64
	kindDecimal               // DECIMAL: exact string
	kindDate                  // DATE: time.Time at UTC midnight; zero and invalid dates as text
	kindDateTime              // DATETIME: time.Time in UTC; zero and invalid dates as text
	kindTimestamp             // TIMESTAMP: time.Time in UTC; zero as text
	kindTime                  // TIME: string "[-]HH:MM:SS[.fff]"
	kindYear                  // YEAR: int64
	kindString                // CHAR, VARCHAR, TEXT (and MariaDB's JSON): string
	kindBytes                 // BINARY, VARBINARY, BLOB: []byte
	kindEnum                  // ENUM: member name
	kindSet                   // SET: member names joined with ','
	kindBit                   // BIT(1): bool, BIT(n): int64 (uint64 above MaxInt64)
	kindJSON                  // MySQL's JSON: string
	kindGeometry              // spatial types: []byte (MySQL's internal SRID+WKB)
)

func (k kind) String() string {
	return [...]string{"int", "float", "double", "decimal", "date", "datetime", "timestamp",
		"time", "year", "string", "bytes", "enum", "set", "bit", "json", "geometry"}[k]
}

// column describes one column of a table: how to decode it and its
// schema in records.
type column struct {
	name    string
	kind    kind
	fsp     int      // fractional second digits of TIME, DATETIME, TIMESTAMP
	padLen  int      // BINARY(n): the binlog strips trailing zero bytes; pad back to n
	bits    int      // BIT(n); 8, 16, 24, 32 or 64 for the integer types
	members []string // ENUM and SET members, in order
	// boxedMembers are an ENUM's members boxed once, made by finish.
	boxedMembers []any
	dec          encoding.Encoding // non-UTF-8 character set of a text column, nil for UTF-8 and ASCII
	charset      string            // a text column's character set, "" for UTF-8 (and unknown)
	// DECIMAL precision and scale (the snapshot also binds key values
	// with them, exactly).
	precision, scale int
	unsigned         bool // an UNSIGNED integer type
	nullable         bool
	// schema is the column's field schema in records, made by finish;
	// exact is the same (both kept: value.encoding's mapper decodes with
	// exact, the column's own nullability).
	schema, exact *connect.Schema
}

// tableSchema is the decoding information of one table: its columns in
// ordinal order and the indexes of its primary key columns, and the
// schemas of its records (see schemas.go).
type tableSchema struct {
	db, table string
	topic     string
	cols      []column
	pk        []int
	// MariaDB system versioning: the ROW START and ROW END columns (-1
	// when not among cols), left out of records; see setPeriod.
	versioned        bool
	rowStart, rowEnd int

	boxedDB, boxedTable any // db and table boxed once, for source blocks (see box)

	value, key *connect.Schema // row and key schemas, made by makeSchemas
	keyAt      []int           // positions of the key's fields in a row
	width      int             // fields of a row: the columns but the period ones

	// With value encodings other than connect-go's, rows are decoded with
	// schema row (the columns' exact schemas) and then mapped by modes to
	// value and key; row is nil otherwise.
	row   *connect.Schema
	modes *dbzmodes.Mapper
}

// binlogColumns builds the columns of a TableMapEvent. With
// binlog_row_metadata=FULL the event carries names, signedness, character
// sets, ENUM/SET members and the primary key, so the columns describe the
// table exactly as it was when the rows were written, whatever DDL came
// later. Without it, live (the table's current schema, may be nil) fills in
// what the event lacks.
func binlogColumns(e *replication.TableMapEvent, live *tableSchema) (*tableSchema, error) {
	n := int(e.ColumnCount)
	ts := &tableSchema{db: string(e.Schema), table: string(e.Table), cols: make([]column, n)}
	names := e.ColumnNameString()
	full := len(names) == n
	if !full && (live == nil || len(live.cols) != n) {
		have := -1
		if live != nil {
			have = len(live.cols)
		}
		return nil, fmt.Errorf("table %s.%s: the binlog has %d columns without names (binlog_row_metadata is not FULL) and the current schema has %d: cannot tell which is which; set binlog_row_metadata=FULL",
			ts.db, ts.table, n, have)
	}
	collations := e.CollationMap()
	enumSetCollations := e.EnumSetCollationMap()
	enums, sets := e.EnumStrValueMap(), e.SetStrValueMap()
	unsigned := e.UnsignedMap()
	for i := range n {
		c := &ts.cols[i]
		var lc *column
		if live != nil && len(live.cols) == n {
			lc = &live.cols[i]
		}
		if full {
			c.name = names[i]
		} else {
			c.name = lc.name
		}
		typ, meta := e.ColumnType[i], e.ColumnMeta[i]
		if known, nullable := e.Nullable(i); known {
			c.nullable = nullable
		} else {
			c.nullable = lc == nil || lc.nullable
		}
		if typ == mysql.MYSQL_TYPE_STRING && meta >= 256 {
			b0, b1 := byte(meta>>8), int(meta&0xff)
			if b0&0x30 != 0x30 {
				c.padLen = b1 | int((b0&0x30)^0x30)<<4
				typ = b0 | 0x30
			} else {
				c.padLen = b1
				typ = b0
			}
		} else if typ == mysql.MYSQL_TYPE_STRING {
			c.padLen = int(meta)
		}
		coll, hasColl := collations[i]
		switch typ {
		case mysql.MYSQL_TYPE_TINY, mysql.MYSQL_TYPE_SHORT, mysql.MYSQL_TYPE_INT24,
			mysql.MYSQL_TYPE_LONG, mysql.MYSQL_TYPE_LONGLONG:
			c.kind = kindInt
			c.bits = intBits[typ]
			if u, ok := unsigned[i]; ok {
				c.unsigned = u
			} else if lc != nil {
				c.unsigned = lc.unsigned
			}
		case mysql.MYSQL_TYPE_FLOAT:
			c.kind = kindFloat
		case mysql.MYSQL_TYPE_DOUBLE:
			c.kind = kindDouble
		case mysql.MYSQL_TYPE_NEWDECIMAL, mysql.MYSQL_TYPE_DECIMAL:
			c.kind = kindDecimal
			if typ == mysql.MYSQL_TYPE_NEWDECIMAL {
				c.precision, c.scale = int(meta>>8), int(meta&0xff)
			} else if lc != nil {
				c.precision, c.scale = lc.precision, lc.scale
			}
		case mysql.MYSQL_TYPE_DATE, mysql.MYSQL_TYPE_NEWDATE:
			c.kind = kindDate
		case mysql.MYSQL_TYPE_DATETIME, mysql.MYSQL_TYPE_DATETIME2:
			c.kind = kindDateTime
			if typ == mysql.MYSQL_TYPE_DATETIME2 {
				c.fsp = int(meta)
			}
		case mysql.MYSQL_TYPE_TIMESTAMP, mysql.MYSQL_TYPE_TIMESTAMP2:
			c.kind = kindTimestamp
			if typ == mysql.MYSQL_TYPE_TIMESTAMP2 {
				c.fsp = int(meta)
			}
		case mysql.MYSQL_TYPE_TIME, mysql.MYSQL_TYPE_TIME2:
			c.kind = kindTime
			if typ == mysql.MYSQL_TYPE_TIME2 {
				c.fsp = int(meta)
			}
		case mysql.MYSQL_TYPE_YEAR:
			c.kind = kindYear
		case mysql.MYSQL_TYPE_ENUM, mysql.MYSQL_TYPE_SET:
			c.kind = kindEnum
			c.members = enums[i]
			if typ == mysql.MYSQL_TYPE_SET {
				c.kind = kindSet
				c.members = sets[i]
			}
			if c.members == nil && lc != nil {
				c.members = lc.members
			}
			if coll, ok := enumSetCollations[i]; ok {
				c.members = decodeMembers(c.members, collationEncoding(coll))
			}
		case mysql.MYSQL_TYPE_BIT:
			c.kind = kindBit
			c.bits = int(meta>>8)*8 + int(meta&0xff)
		case mysql.MYSQL_TYPE_VARCHAR, mysql.MYSQL_TYPE_VAR_STRING, mysql.MYSQL_TYPE_STRING,
			mysql.MYSQL_TYPE_BLOB, mysql.MYSQL_TYPE_TINY_BLOB, mysql.MYSQL_TYPE_MEDIUM_BLOB, mysql.MYSQL_TYPE_LONG_BLOB:
			switch {
			case hasColl && coll == binaryCollation:
				c.kind = kindBytes
			case hasColl:
				c.kind = kindString
				c.dec = collationEncoding(coll)
				c.charset = collationCharset(coll)
			case lc != nil:
				c.kind, c.dec, c.charset = lc.kind, lc.dec, lc.charset
			default:
				c.kind = kindString
			}
			if typ != mysql.MYSQL_TYPE_STRING || c.kind != kindBytes {
				c.padLen = 0
			}
		case mysql.MYSQL_TYPE_JSON:
			c.kind = kindJSON
		case mysql.MYSQL_TYPE_GEOMETRY:
			c.kind = kindGeometry
		case mysql.MYSQL_TYPE_VECTOR:
			c.kind = kindBytes
		default:
			return nil, fmt.Errorf("table %s.%s column %s: unsupported binlog column type %d", ts.db, ts.table, c.name, typ)
		}
		if c.kind != kindBytes {
			c.padLen = 0
		}
		c.finish()
	}
	switch {
	case len(e.PrimaryKey) > 0:
		ts.pk = make([]int, len(e.PrimaryKey))
		for i, p := range e.PrimaryKey {
			ts.pk[i] = int(p)
		}
	case !full && live != nil:
		ts.pk = live.pk
	}
	return ts, nil
}

func decodeMembers(members []string, dec encoding.Encoding) []string {
	if dec == nil || members == nil {
		return members
	}
	out := make([]string, len(members))
	for i, m := range members {
		out[i] = decodeText(m, dec)
	}
	return out
}

// intBits are the widths of the binlog's integer types.
var intBits = map[byte]int{
	mysql.MYSQL_TYPE_TINY: 8, mysql.MYSQL_TYPE_SHORT: 16, mysql.MYSQL_TYPE_INT24: 24,
	mysql.MYSQL_TYPE_LONG: 32, mysql.MYSQL_TYPE_LONGLONG: 64,
}

// schemaColumn is one row of information_schema.COLUMNS.
type schemaColumn struct {
	name, dataType, columnType string
	charset                    string
	precision, scale, fsp      int
	nullable                   bool
}

// snapshotColumn builds a column from information_schema.COLUMNS. Snapshot
// queries run with character_set_results=utf8mb4, so text arrives as UTF-8
// whatever the column's character set; dec is kept for the binlog fallback.
func snapshotColumn(sc schemaColumn) (column, error) {
	c := column{name: sc.name, fsp: sc.fsp, nullable: sc.nullable}
	switch dt := strings.ToLower(sc.dataType); dt {
	case "tinyint", "smallint", "mediumint", "int", "integer", "bigint":
		c.kind = kindInt
		c.bits = map[string]int{"tinyint": 8, "smallint": 16, "mediumint": 24, "bigint": 64}[dt]
		if c.bits == 0 {
			c.bits = 32
		}
		c.unsigned = strings.Contains(strings.ToLower(sc.columnType), "unsigned")
	case "float":
		c.kind = kindFloat
	case "double", "real", "double precision":
		c.kind = kindDouble
	case "decimal", "numeric", "fixed":
		c.kind = kindDecimal
		c.precision, c.scale = sc.precision, sc.scale
	case "date":
		c.kind = kindDate
	case "datetime":
		c.kind = kindDateTime
	case "timestamp":
		c.kind = kindTimestamp
	case "time":
		c.kind = kindTime
	case "year":
		c.kind = kindYear
	case "char", "varchar", "tinytext", "text", "mediumtext", "longtext", "inet4", "inet6", "uuid":
		c.kind = kindString
		c.dec = charsetEncoding(sc.charset)
		c.charset = charsetName(sc.charset)
	case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob", "vector":
		c.kind = kindBytes
	case "enum":
		c.kind = kindEnum
		c.members = parseMembers(sc.columnType)
	case "set":
		c.kind = kindSet
		c.members = parseMembers(sc.columnType)
	case "bit":
		c.kind = kindBit
		c.bits = sc.precision
	case "json":
		c.kind = kindJSON
	case "geometry", "point", "linestring", "polygon", "multipoint", "multilinestring",
		"multipolygon", "geometrycollection", "geomcollection":
		c.kind = kindGeometry
	default:
		// A type this version does not know: keep its bytes.
		c.kind = kindBytes
	}
	c.finish()
	return c, nil
}

// parseMembers returns the members of an ENUM or SET from its
// information_schema COLUMN_TYPE, such as enum('a','b') (quotes inside
// members are doubled).
func parseMembers(columnType string) []string {
	open := strings.IndexByte(columnType, '(')
	if open < 0 {
		return nil
	}
	s := columnType[open+1:]
	var out []string
	for {
		s = strings.TrimLeft(s, ", ")
		if s == "" || s[0] != '\'' {
			return out
		}
		var b strings.Builder
		i := 1
		for i < len(s) {
			if s[i] == '\'' {
				if i+1 < len(s) && s[i+1] == '\'' {
					b.WriteByte('\'')
					i += 2
					continue
				}
				break
			}
			if s[i] == '\\' && i+1 < len(s) {
				i++
			}
			b.WriteByte(s[i])
			i++
		}
		out = append(out, b.String())
		if i >= len(s) {
			return out
		}
		s = s[i+1:]
	}
}
