package mysqlsource

import (
	"bytes"
	"strconv"
	"strings"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/replication"

	connect "github.com/openmessaging/connect-go"
)

// Schema change events (include.schema.changes), as Debezium's MySQL
// connector writes them to its schema change topic: the key
// io.debezium.connector.mysql.SchemaChangeKey {databaseName} and the value
// io.debezium.connector.mysql.SchemaChangeValue {source, ts_ms,
// databaseName, schemaName, ddl, tableChanges}, each table change
// io.debezium.connector.schema.Change {type, id, table} with the table as
// Debezium's ConnectTableChangeSerializer writes it (SchemaFactory's
// schemaHistory*Schema field lists, in their order).

// Table change types, Debezium's TableChangeType names.
const (
	changeCreate = "CREATE"
	changeAlter  = "ALTER"
	changeDrop   = "DROP"
)

func optional(t connect.Type) *connect.Schema { return &connect.Schema{Type: t, Optional: true} }

func required(t connect.Type) *connect.Schema { return &connect.Schema{Type: t} }

func sfield(name string, s *connect.Schema) connect.StructField {
	return connect.StructField{Name: name, Schema: s}
}

// Fields of schemaColumnSchema, in Debezium's order.
const (
	colName = iota
	colJDBCType
	colNativeType
	colTypeName
	colTypeExpression
	colCharsetName
	colLength
	colScale
	colPosition
	colOptional
	colAutoIncremented
	colGenerated
	colComment
	colDefault
	colEnumValues
	columnWidth
)

var (
	stringArray = &connect.Schema{Type: connect.TypeArray, Optional: true, Elem: required(connect.TypeString)}

	schemaColumnSchema = connect.NewStructSchema("io.debezium.connector.schema.Column", false,
		sfield("name", required(connect.TypeString)),
		sfield("jdbcType", required(connect.TypeInt32)),
		sfield("nativeType", optional(connect.TypeInt32)),
		sfield("typeName", required(connect.TypeString)),
		sfield("typeExpression", optional(connect.TypeString)),
		sfield("charsetName", optional(connect.TypeString)),
		sfield("length", optional(connect.TypeInt32)),
		sfield("scale", optional(connect.TypeInt32)),
		sfield("position", required(connect.TypeInt32)),
		sfield("optional", optional(connect.TypeBool)),
		sfield("autoIncremented", optional(connect.TypeBool)),
		sfield("generated", optional(connect.TypeBool)),
		sfield("comment", optional(connect.TypeString)),
		sfield("defaultValueExpression", optional(connect.TypeString)),
		sfield("enumValues", stringArray),
	)

	schemaTableSchema = connect.NewStructSchema("io.debezium.connector.schema.Table", true,
		sfield("defaultCharsetName", optional(connect.TypeString)),
		sfield("primaryKeyColumnNames", stringArray),
		sfield("columns", &connect.Schema{Type: connect.TypeArray, Elem: schemaColumnSchema}),
		sfield("comment", optional(connect.TypeString)),
	)

	schemaChangeSchema = connect.NewStructSchema("io.debezium.connector.schema.Change", false,
		sfield("type", required(connect.TypeString)),
		sfield("id", required(connect.TypeString)),
		sfield("table", schemaTableSchema),
	)

	mysqlSchemaChange   = newSchemaChangeSchemas(connectorMySQL, mysqlSourceSchema)
	mariadbSchemaChange = newSchemaChangeSchemas(connectorMariaDB, mariadbSourceSchema)
)

// schemaChangeSchemas are the key and value schemas of a server flavour's
// schema change events, named after its connector as source.connector is.
type schemaChangeSchemas struct{ key, value *connect.Schema }

func newSchemaChangeSchemas(connector string, source *connect.Schema) schemaChangeSchemas {
	return schemaChangeSchemas{
		key: connect.NewStructSchema("io.debezium.connector."+connector+".SchemaChangeKey", false,
			sfield("databaseName", required(connect.TypeString)),
		),
		value: connect.NewStructSchema("io.debezium.connector."+connector+".SchemaChangeValue", false,
			sfield("source", source),
			sfield("ts_ms", required(connect.TypeInt64)),
			sfield("databaseName", optional(connect.TypeString)),
			sfield("schemaName", optional(connect.TypeString)),
			sfield("ddl", optional(connect.TypeString)),
			sfield("tableChanges", &connect.Schema{Type: connect.TypeArray, Elem: schemaChangeSchema}),
		),
	}
}

// schemaChangeFor returns the schema change schemas whose source block
// has schema src.
func schemaChangeFor(src *connect.Schema) schemaChangeSchemas {
	if src == mariadbSourceSchema {
		return mariadbSchemaChange
	}
	return mysqlSchemaChange
}

// SchemaChangeKeySchema and SchemaChangeValueSchema return the schemas of
// the key and value of schema change events (include.schema.changes) from
// a server of the given flavour (FlavorMySQL or FlavorMariaDB): Debezium's
// io.debezium.connector.mysql.SchemaChangeKey and SchemaChangeValue, or
// their io.debezium.connector.mariadb names. Do not change them.
func SchemaChangeKeySchema(flavor string) *connect.Schema {
	return schemaChangeFor(SourceSchema(flavor)).key
}

func SchemaChangeValueSchema(flavor string) *connect.Schema {
	return schemaChangeFor(SourceSchema(flavor)).value
}

// tableID is Debezium's TableId.toDoubleQuotedString of a MySQL table:
// "db"."table".
func tableID(db, table string) string {
	q := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
	return q(db) + "." + q(table)
}

// schemaChangeRecord returns a schema change event of database db with
// the given table changes (each an io.debezium.connector.schema.Change).
func schemaChangeRecord(topic, db string, source *connect.Struct, ddl string, changes []any, at time.Time, pos connect.Position) *connect.Record {
	sc := schemaChangeFor(source.Schema)
	return &connect.Record{
		Topic: topic,
		Key:   &connect.Struct{Schema: sc.key, Values: []any{db}},
		Value: &connect.Struct{Schema: sc.value, Values: []any{
			source, time.Now().UnixMilli(), db, nil, ddl, changes,
		}},
		Timestamp: at,
		Position:  pos,
	}
}

// tableChange returns an io.debezium.connector.schema.Change; table is
// nil for DROP (as Debezium) and for a table that no longer exists.
func tableChange(typ, db, table string, desc *connect.Struct) *connect.Struct {
	var t any
	if desc != nil {
		t = desc
	}
	return &connect.Struct{Schema: schemaChangeSchema, Values: []any{typ, tableID(db, table), t}}
}

// describeTable returns the io.debezium.connector.schema.Table of a table
// as information_schema shows it now, nil when it does not exist.
func describeTable(conn *client.Conn, db, table string) (*connect.Struct, error) {
	rows, err := query(conn, `SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IFNULL(CHARACTER_SET_NAME, ''), IS_NULLABLE,
		EXTRA, COLUMN_COMMENT, IFNULL(COLUMN_DEFAULT, ''), COLUMN_DEFAULT IS NULL, ORDINAL_POSITION
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, db, table)
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	tbl, err := query(conn, `SELECT IFNULL(c.CHARACTER_SET_NAME, ''), IFNULL(t.TABLE_COMMENT, '')
		FROM information_schema.TABLES t LEFT JOIN information_schema.COLLATIONS c ON c.COLLATION_NAME = t.TABLE_COLLATION
		WHERE t.TABLE_SCHEMA = ? AND t.TABLE_NAME = ?`, db, table)
	if err != nil {
		return nil, err
	}
	pk, err := query(conn, `SELECT COLUMN_NAME FROM information_schema.STATISTICS
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX`, db, table)
	if err != nil {
		return nil, err
	}
	cols := make([]any, len(rows))
	for i, r := range rows {
		cols[i] = describeColumn(r)
	}
	keys := make([]any, len(pk))
	for i, r := range pk {
		keys[i] = r[0]
	}
	var charset, comment any
	if len(tbl) > 0 {
		charset, comment = orNil(tbl[0][0]), orNil(tbl[0][1])
	}
	return &connect.Struct{Schema: schemaTableSchema, Values: []any{charset, keys, cols, comment}}, nil
}

func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// describeColumn makes an io.debezium.connector.schema.Column of a row of
// information_schema.COLUMNS (describeTable's columns), with what
// Debezium's MySQL DDL parser gives for the same column: the JDBC type of
// its type name, the type name upper case with UNSIGNED and ZEROFILL, the
// length and scale written in the column type, and generated for
// AUTO_INCREMENT and generated columns alike.
func describeColumn(r []string) *connect.Struct {
	name, dataType, colType, charset := r[0], strings.ToLower(r[1]), strings.ToLower(r[2]), r[3]
	extra := strings.ToLower(r[5])
	typeName := strings.ToUpper(dataType)
	if strings.Contains(colType, " unsigned") {
		typeName += " UNSIGNED"
	}
	if strings.Contains(colType, " zerofill") {
		typeName += " ZEROFILL"
	}
	v := make([]any, columnWidth)
	v[colName] = name
	v[colJDBCType] = int64(jdbcType(dataType))
	v[colTypeName] = typeName
	v[colTypeExpression] = typeName
	v[colCharsetName] = orNil(charset)
	var members []any
	if dataType == "enum" || dataType == "set" {
		for _, m := range enumMembers(colType) {
			members = append(members, m)
		}
	} else if length, scale, ok := typeParams(colType); ok {
		v[colLength] = length
		if scale >= 0 {
			v[colScale] = scale
		}
	}
	pos, _ := strconv.ParseInt(r[9], 10, 32)
	v[colPosition] = pos
	v[colOptional] = r[4] == "YES"
	auto := strings.Contains(extra, "auto_increment")
	v[colAutoIncremented] = auto
	v[colGenerated] = auto || strings.Contains(extra, "generated") || strings.Contains(extra, "virtual") || strings.Contains(extra, "persistent") || strings.Contains(extra, "stored")
	v[colComment] = orNil(r[6])
	if r[8] != "1" {
		if d := defaultExpression(r[7]); d != "" {
			v[colDefault] = d
		}
	}
	if members != nil {
		v[colEnumValues] = members
	}
	return &connect.Struct{Schema: schemaColumnSchema, Values: v}
}

// jdbcType is java.sql.Types of a MySQL data type, as Debezium's MySQL
// DDL parser resolves it (MySqlAntlrDdlParser's data type entries).
func jdbcType(dataType string) int {
	switch dataType {
	case "char", "enum", "set":
		return 1 // CHAR
	case "varchar", "tinytext", "text", "mediumtext", "longtext", "long":
		return 12 // VARCHAR
	case "tinyint":
		return -6
	case "smallint":
		return 5
	case "mediumint", "int", "integer", "year":
		return 4
	case "bigint":
		return -5
	case "real":
		return 7
	case "double":
		return 8
	case "float":
		return 6
	case "decimal":
		return 3
	case "numeric":
		return 2
	case "bit":
		return -7
	case "bool", "boolean":
		return 16
	case "date":
		return 91
	case "time":
		return 92
	case "datetime":
		return 93
	case "timestamp":
		return 2014 // TIMESTAMP_WITH_TIMEZONE
	case "binary":
		return -2
	case "varbinary":
		return -3
	case "tinyblob", "blob", "mediumblob", "longblob":
		return 2004 // BLOB
	}
	return 1111 // OTHER: JSON, spatial types, UUID, INET4, INET6, VECTOR
}

// typeParams returns the length (and scale, -1 when none) written in a
// column type: 255 of varchar(255), 10 and 2 of decimal(10,2).
func typeParams(colType string) (length, scale int64, ok bool) {
	open := strings.IndexByte(colType, '(')
	end := strings.IndexByte(colType, ')')
	if open < 0 || end < open {
		return 0, -1, false
	}
	a, b, two := strings.Cut(colType[open+1:end], ",")
	length, err := strconv.ParseInt(strings.TrimSpace(a), 10, 32)
	if err != nil {
		return 0, -1, false
	}
	scale = -1
	if two {
		if scale, err = strconv.ParseInt(strings.TrimSpace(b), 10, 32); err != nil {
			scale = -1
		}
	}
	return length, scale, true
}

// enumMembers returns the members of an enum('a','b') or set(...) column
// type, unquoted.
func enumMembers(colType string) []string {
	open := strings.IndexByte(colType, '(')
	if open < 0 {
		return nil
	}
	s := colType[open+1:]
	var out []string
	for {
		i := strings.IndexByte(s, '\'')
		if i < 0 {
			return out
		}
		s = s[i+1:]
		var b strings.Builder
		for len(s) > 0 {
			if s[0] == '\'' {
				if len(s) > 1 && s[1] == '\'' {
					b.WriteByte('\'')
					s = s[2:]
					continue
				}
				s = s[1:]
				break
			}
			b.WriteByte(s[0])
			s = s[1:]
		}
		out = append(out, b.String())
	}
}

// defaultExpression is a column's DEFAULT as Debezium's parser keeps it:
// a string literal unquoted, anything else as written; "" for none
// (MariaDB writes NULL for DEFAULT NULL).
func defaultExpression(d string) string {
	if d == "NULL" {
		return ""
	}
	if len(d) >= 2 && d[0] == '\'' && d[len(d)-1] == '\'' {
		return strings.ReplaceAll(d[1:len(d)-1], "''", "'")
	}
	return d
}

// ddlTarget is a table a DDL statement changes.
type ddlTarget struct {
	typ       string // changeCreate, changeAlter or changeDrop
	db, table string
}

// ddlTargets returns the tables a DDL statement creates, alters, renames
// (as Debezium: an ALTER of the new name) or drops, in the current
// database schema unless qualified. Statements of other kinds (TRUNCATE,
// views, routines, databases, accounts) and temporary tables give none.
func ddlTargets(q []byte, schema string) []ddlTarget {
	l := &ddlLexer{s: string(q)}
	w := l.word()
	var out []ddlTarget
	add := func(typ string, db, table string) {
		if db == "" {
			db = schema
		}
		if db != "" && table != "" {
			out = append(out, ddlTarget{typ, db, table})
		}
	}
	switch w {
	case "CREATE":
		w = l.word()
		if w == "OR" {
			l.word() // REPLACE
			w = l.word()
		}
		switch w {
		case "TABLE":
			l.optional("IF", "NOT", "EXISTS")
			db, table := l.name()
			add(changeCreate, db, table)
		case "UNIQUE", "FULLTEXT", "SPATIAL", "INDEX":
			if l.until("ON") {
				db, table := l.name()
				add(changeAlter, db, table)
			}
		}
	case "ALTER":
		for w = l.word(); w == "ONLINE" || w == "IGNORE"; w = l.word() {
		}
		if w != "TABLE" {
			return nil
		}
		l.optional("IF", "EXISTS")
		db, table := l.name()
		// ALTER TABLE .. RENAME [TO|AS] new: the table is now the new one.
		for l.until("RENAME") {
			save := l.i
			w := l.peekWord()
			if w == "COLUMN" || w == "INDEX" || w == "KEY" || w == "CONSTRAINT" {
				continue
			}
			if w == "TO" || w == "AS" {
				l.word()
			}
			if ndb, nt := l.name(); nt != "" {
				db, table = ndb, nt
			} else {
				l.i = save
			}
		}
		add(changeAlter, db, table)
	case "DROP":
		w = l.word()
		switch w {
		case "TABLE":
			l.optional("IF", "EXISTS")
			for {
				db, table := l.name()
				if table == "" {
					break
				}
				add(changeDrop, db, table)
				if !l.comma() {
					break
				}
			}
		case "INDEX":
			if l.until("ON") {
				db, table := l.name()
				add(changeAlter, db, table)
			}
		}
	case "RENAME":
		if l.word() != "TABLE" {
			return nil
		}
		for {
			l.name()
			if l.word() != "TO" {
				break
			}
			db, table := l.name()
			add(changeAlter, db, table)
			if !l.comma() {
				break
			}
		}
	}
	return out
}

// ddlLexer reads the few tokens of a DDL statement ddlTargets needs.
type ddlLexer struct {
	s string
	i int
}

// space skips white space and comments.
func (l *ddlLexer) space() {
	for l.i < len(l.s) {
		switch c := l.s[l.i]; {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			l.i++
		case strings.HasPrefix(l.s[l.i:], "/*"):
			end := strings.Index(l.s[l.i+2:], "*/")
			if end < 0 {
				l.i = len(l.s)
				return
			}
			l.i += end + 4
		case strings.HasPrefix(l.s[l.i:], "-- ") || c == '#':
			end := strings.IndexByte(l.s[l.i:], '\n')
			if end < 0 {
				l.i = len(l.s)
				return
			}
			l.i += end + 1
		default:
			return
		}
	}
}

// word reads a keyword (letters and _), upper case; "" when none.
func (l *ddlLexer) word() string {
	l.space()
	start := l.i
	for l.i < len(l.s) {
		c := l.s[l.i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' {
			l.i++
			continue
		}
		break
	}
	return strings.ToUpper(l.s[start:l.i])
}

func (l *ddlLexer) peekWord() string {
	save := l.i
	w := l.word()
	l.i = save
	return w
}

// optional reads the keywords words when they come next.
func (l *ddlLexer) optional(words ...string) {
	save := l.i
	for _, w := range words {
		if l.word() != w {
			l.i = save
			return
		}
	}
}

// until skips to after the keyword w outside quotes; false at the end.
func (l *ddlLexer) until(w string) bool {
	for {
		l.space()
		if l.i >= len(l.s) {
			return false
		}
		switch c := l.s[l.i]; c {
		case '`', '\'', '"':
			l.quoted(c)
			continue
		}
		if t := l.word(); t == w {
			return true
		} else if t == "" {
			l.i++
		}
	}
}

// quoted skips a quoted string or identifier and returns its text.
func (l *ddlLexer) quoted(q byte) string {
	var b strings.Builder
	for l.i++; l.i < len(l.s); l.i++ {
		c := l.s[l.i]
		if c == '\\' && q != '`' && l.i+1 < len(l.s) {
			l.i++
			b.WriteByte(l.s[l.i])
			continue
		}
		if c == q {
			if l.i+1 < len(l.s) && l.s[l.i+1] == q {
				b.WriteByte(q)
				l.i++
				continue
			}
			l.i++
			return b.String()
		}
		b.WriteByte(c)
	}
	return b.String()
}

// ident reads a plain or backquoted identifier; "" when none.
func (l *ddlLexer) ident() string {
	l.space()
	if l.i < len(l.s) && l.s[l.i] == '`' {
		return l.quoted('`')
	}
	start := l.i
	for l.i < len(l.s) {
		c := l.s[l.i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '$' || c >= 0x80 {
			l.i++
			continue
		}
		break
	}
	return l.s[start:l.i]
}

// name reads [db.]table.
func (l *ddlLexer) name() (db, table string) {
	first := l.ident()
	if l.i < len(l.s) && l.s[l.i] == '.' {
		l.i++
		return first, l.ident()
	}
	return "", first
}

// comma reads a comma when one comes next.
func (l *ddlLexer) comma() bool {
	l.space()
	if l.i < len(l.s) && l.s[l.i] == ',' {
		l.i++
		return true
	}
	return false
}

// schemaChanges appends the schema change events of a DDL statement, the
// idx-th data event of its group: one per captured table it changes, with
// the table's new schema as information_schema shows it when the event is
// read. Their positions count them as rows of the event, so that a
// restart skips the ones emitted and emits the rest.
func (r *streamer) schemaChanges(h *replication.EventHeader, q []byte, schema string, idx int, out []*connect.Record) ([]*connect.Record, error) {
	targets := ddlTargets(q, schema)
	first := 0
	if r.skipping && idx == r.skipEvent {
		first = r.skipRow
	}
	n := 0
	ddl := maskCredentials(string(bytes.TrimSpace(q)))
	at := time.Unix(int64(h.Timestamp), 0)
	for _, t := range targets {
		if !r.s.filter.include(t.db, t.table) {
			continue
		}
		n++
		if n <= first {
			continue
		}
		var desc *connect.Struct
		if t.typ != changeDrop && r.live != nil {
			var err error
			if desc, err = r.live.describe(t.db, t.table); err != nil {
				return out, err
			}
		}
		ts := &tableSchema{db: t.db, table: t.table}
		ts.box()
		base := r.source(ts, h, at)
		src := &connect.Struct{Schema: base[srcSchema].(*connect.Schema), Values: base[:sourceWidth]}
		src.Values[srcRow] = int64(0)
		out = append(out, schemaChangeRecord(r.s.schemaTopic, t.db, src, ddl,
			[]any{tableChange(t.typ, t.db, t.table, desc)}, at, r.position(idx, n)))
	}
	return out, nil
}

// describe returns the schema change description of a table (see
// describeTable) on the connection of the current schemas.
func (l *liveSchemas) describe(db, table string) (*connect.Struct, error) {
	if err := l.dial(); err != nil {
		return nil, err
	}
	d, err := describeTable(l.conn, db, table)
	if err != nil {
		l.close()
		return nil, l.s.fail("read the schema of "+tableRef{db, table}.String(), err)
	}
	return d, nil
}

// snapshotSchemaMark is where the CREATE events of a snapshot stopped:
// the last table whose event was emitted (see snapshotOffset.Schema).
type snapshotSchemaMark struct {
	DB    string `json:"db"`
	Table string `json:"table"`
}

// schemaEvents returns the next CREATE events of the snapshot's tables
// (up to poll.max.records), which Debezium emits before any row: the
// table's SHOW CREATE TABLE text and its schema. Each one's position
// resumes the snapshot at its first table with the events up to it done.
func (sn *snapshotter) schemaEvents() ([]*connect.Record, error) {
	var out []*connect.Record
	now := time.Now()
	for len(out) < sn.s.maxBatch {
		i := sn.ddlNext
		for i < len(sn.tables) && sn.ddlAfter != nil && !sn.ddlAfter.before(sn.tables[i]) {
			i++
		}
		if i >= len(sn.tables) {
			sn.ddlDone = true
			return out, nil
		}
		ref := sn.tables[i]
		sn.deadline()
		rows, err := query(sn.conn, "SHOW CREATE TABLE "+quoteName(ref.db)+"."+quoteName(ref.table))
		if err != nil {
			return nil, sn.s.fail("snapshot: read the definition of "+ref.String(), err)
		}
		ddl := ""
		if len(rows) > 0 && len(rows[0]) > 1 {
			ddl = rows[0][1]
		}
		desc, err := describeTable(sn.conn, ref.db, ref.table)
		if err != nil {
			return nil, sn.s.fail("snapshot: read the schema of "+ref.String(), err)
		}
		ts := &tableSchema{db: ref.db, table: ref.table}
		ts.box()
		base := sn.s.newSource(sn.info, ts, new(eventTimes).box(now), snapTrue)
		base[srcServerID] = int64(0)
		base[srcFile] = sn.from.File
		base[srcPos] = int64(sn.from.Pos)
		base[srcRow] = int64(0)
		src := &connect.Struct{Schema: base[srcSchema].(*connect.Schema), Values: base[:sourceWidth]}
		first := sn.tables[0]
		pos := connect.NewPosition(sn.partition, offset{File: sn.from.File, Pos: sn.from.Pos, GTIDs: sn.from.GTIDs,
			Snapshot: &snapshotOffset{DB: first.db, Table: first.table, Schema: &snapshotSchemaMark{ref.db, ref.table}}})
		out = append(out, schemaChangeRecord(sn.s.schemaTopic, ref.db, src, ddl,
			[]any{tableChange(changeCreate, ref.db, ref.table, desc)}, now, pos))
		sn.ddlAfter, sn.ddlNext = &ref, i+1
	}
	return out, nil
}
