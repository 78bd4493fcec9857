// Package mysqlsource is a source connector for MySQL and MariaDB: it reads
// the captured tables once (a consistent snapshot), then follows the binlog,
// and emits every row change as a change event on a topic per table, in
// Debezium's envelope. A restart resumes exactly where the last durable
// record left off. It is built on github.com/go-mysql-org/go-mysql.
//
//	rt := runtime.New(runtime.WithPlugin("mysql", func() connect.Connector { return mysqlsource.New() }))
//	rt.CreateConnector(ctx, "shop", connect.Config{
//		"connector.class":  "mysql",
//		"host":             "127.0.0.1",
//		"port":             "3306",
//		"user":             "cdc",
//		"password":         "...",
//		"database.include": "shop",
//	})
//
// # Server setup
//
// The binlog must be on and complete: log_bin, binlog_format=ROW,
// binlog_row_image=FULL (the task refuses to start otherwise, naming the
// setting), and binlog_row_metadata=FULL (MariaDB 10.5+, MySQL 8.0.1+;
// without it the task starts with a warning, see Schema changes). The user
// needs SELECT, REPLICATION SLAVE and REPLICATION CLIENT, and RELOAD on
// MySQL (for the snapshot lock). The reader registers as a replica with
// server.id, which must differ from every other replica's.
//
// # Configuration
//
// Keys, with the seed's (RocketMQ Connect's) names accepted as aliases:
//
//	host (mysqlAddr)              server host name or address, required
//	port (mysqlPort)              default 3306
//	user (mysqlUsername)          required
//	password (mysqlPassword)      secret: masked wherever a config is shown
//	database.include (whiteDataBase)  regexps of databases to capture (whole
//	                              names); the seed's JSON form
//	                              {"db":{"table":...}} is accepted too
//	database.exclude              regexps of databases not to capture
//	table.include (whiteTable)    regexps matched against db.table; a plain
//	                              name (letters, digits, _ and $) matches that
//	                              table in every captured database
//	table.exclude                 likewise, tables not to capture
//	server.id                     replica id; default derived from the
//	                              connector name and task id
//	server.name                   logical server name: source.name and the
//	                              key of stored positions; default host:port
//	flavor                        auto (default), mysql or mariadb
//	snapshot.mode                 initial (default), never, when_needed
//	snapshot.fetch.size           rows per snapshot query, default 10000
//	poll.max.records              most events per poll while streaming,
//	                              and per part of a snapshot page handed
//	                              out while it is read; default 2048
//	topic.prefix                  prepended to every topic, literally
//	topic.naming                  table (default, as the seed) or
//	                              database.table (Debezium's naming with
//	                              topic.prefix "<prefix>."); with table, the
//	                              task warns once when tables of two
//	                              databases share a topic, or a table
//	                              shares the schema change, transaction
//	                              or heartbeat topic
//	skipped.operations            ops not to emit, default t; "none" emits all
//	include.query                 statement text in source.query
//	tombstones.on.delete          a tombstone (key, no value) after each
//	                              delete; default false (true under
//	                              Debezium's class)
//	include.schema.changes        schema change events (see Schema change
//	                              events); default false (true under
//	                              Debezium's class)
//	schema.changes.topic          their topic; default topic.prefix +
//	                              "schema_changes" (under Debezium's class:
//	                              topic.prefix, as Debezium)
//	provide.transaction.metadata  transaction blocks and BEGIN/END events
//	                              (see Transaction metadata); default false
//	topic.transaction             their topic after topic.prefix; default
//	                              "transaction"
//	binlog.resume                 position (default) or gtid
//	heartbeat.period              server heartbeat when idle, default 10s
//	heartbeat.topic               when set, heartbeat records keep the
//	                              stored position moving while captured
//	                              tables are idle
//	read.timeout                  a connection silent this long is dead,
//	                              default 30s; must exceed heartbeat.period
//	connect.timeout               default 10s
//	tls.mode                      disabled (default), required, verify_ca,
//	                              verify_identity
//	tls.ca, tls.cert, tls.key     PEM files; tls.server.name overrides the
//	                              name verify_identity checks. A certificate
//	                              that fails verification fails the task at
//	                              once (not retried)
//	value.encoding                connect_go (default) or debezium: the
//	                              defaults of the mode settings below (see
//	                              Value encodings)
//	time.precision.mode, decimal.handling.mode,
//	bigint.unsigned.handling.mode, binary.handling.mode
//	                              Debezium's, with its values plus connect_go
//	bit.handling.mode             BIT(n>1) as bytes (Debezium's Bits) or number
//	unsafe.integer.handling.mode  number, or string: integers beyond ±2^53 as text
//
// System databases (mysql, information_schema, performance_schema, sys) are
// never captured. Every bad value is reported as a field of a
// *connect.ConfigError; rules between fields (read.timeout against
// heartbeat.period, TLS files against tls.mode, patterns) are checked by
// Connector.Validate, which does not connect to the server.
//
// # Debezium's settings
//
// A worker runs NewDebezium under Debezium's class name,
// io.debezium.connector.mysql.MySqlConnector, so that a Debezium config
// works where its settings can be honoured. Debezium's names of settings
// with the same meaning are aliases under every class name:
//
//	Debezium                  here                meaning
//	database.hostname         host                the same
//	database.port             port                the same
//	database.user             user                the same
//	database.password         password            the same (secret)
//	database.include.list     database.include    the same (whole-name regexps)
//	database.exclude.list     database.exclude    the same
//	table.include.list        table.include       the same (regexps on db.table)
//	table.exclude.list        table.exclude       the same
//	database.server.id        server.id           the same
//	max.batch.size            poll.max.records    the same
//	database.ssl.mode         tls.mode            the same but for preferred
//	snapshot.mode, skipped.operations, snapshot.fetch.size, include.query:
//	                          same names
//	include.schema.changes    the same (see Schema change events), on
//	                          the topic.prefix topic; default true under
//	                          Debezium's class, false otherwise
//	provide.transaction.metadata, topic.transaction:
//	                          the same (see Transaction metadata)
//
// Under Debezium's class only, two settings take Debezium's meaning:
// topic.prefix is required, topics are <topic.prefix>.<database>.<table>
// and the prefix is the logical server name (server.name, the key of stored
// positions) unless server.name is set; snapshot.mode is initial,
// when_needed, or no_data (schema_only), which streams from the current
// binlog position (this connector's never). Debezium's never (the binlog
// from its beginning), initial_only, recovery, always and custom are field
// errors.
//
// The Debezium settings this connector cannot honour are field errors
// under every class name, never ignored: schema.history.internal.* and
// database.history.* (table schemas are kept without a history topic:
// remove them), database.server.name (use topic.prefix),
// database.ssl.keystore* and truststore* (PEM files in tls.*), column.*,
// message.key.columns, snapshot.locking.mode,
// snapshot.select.statement.overrides,
// snapshot.include.collection.list, gtid.source.*, heartbeat.interval.ms
// (heartbeat.period and heartbeat.topic), connect.timeout.ms
// (connect.timeout), signal.*, incremental.snapshot.*,
// database.initial.statements, event.processing.failure.handling.mode and
// converters.
//
// Debezium's value settings (time.precision.mode, decimal.handling.mode,
// bigint.unsigned.handling.mode, binary.handling.mode) are honoured under
// every class name, and under Debezium's class value.encoding defaults to
// debezium, so that values and schemas are Debezium's unless set
// otherwise; see Value encodings.
//
// # Snapshot and hand-over
//
// With no stored position (and snapshot.mode initial or when_needed) the
// task first reads every captured table inside one START TRANSACTION WITH
// CONSISTENT SNAPSHOT. On MariaDB the binlog position of that snapshot is
// read from the binlog_snapshot_file and binlog_snapshot_position status
// variables, which MariaDB keeps exact inside such a transaction: no lock is
// taken at all. On MySQL, which has no such variables, the position is read
// under a FLUSH TABLES WITH READ LOCK held only while the transaction
// starts. The GTID position comes from BINLOG_GTID_POS (MariaDB) or the
// executed GTID set (MySQL).
//
// Tables (base tables, MariaDB's system-versioned ones included) are read
// in name order, each in primary key order in pages of snapshot.fetch.size
// rows (WHERE key > last key ORDER BY key LIMIT n+1, so each page is an
// index range, and the extra row says whether more come). Tables without a
// primary key, or whose key has an ENUM, SET, BIT, JSON or spatial column,
// are paged with OFFSET. Snapshot rows are events with op "r"; the last one
// has source.snapshot "last" (when a table ends, the tables after it are
// probed for a row, so this holds also when they are empty; see Record
// format for the other markers). Then the binlog is streamed from the snapshot's position: every
// change committed after the snapshot's transaction began comes from the
// binlog, every change before it is in the snapshot, so nothing is lost or
// doubled at the hand-over.
//
// MariaDB's system-versioned tables (WITH SYSTEM VERSIONING) give
// current-state changes, as other tables do: records leave out the system
// period columns (ROW START and ROW END: the invisible row_start and
// row_end, or the columns named by PERIOD FOR SYSTEM_TIME, as
// information_schema tells), and the key is the table's own primary key,
// without the ROW END column MariaDB adds to it. The snapshot reads the
// current rows. In the binlog, MariaDB logs an INSERT as inserts of
// current rows (ROW END at its maximum, TIMESTAMP '2038-01-19
// 03:14:07.999999'), an UPDATE as an update of the current row plus an
// insert of the old version as a history row (ROW END at the change time),
// and a DELETE as an update moving ROW END from the maximum to the change
// time. So: an insert of a current row is a create, of a history row
// nothing; an update keeping the row current is an update (a delete and a
// create when the key changes); an update ending the row is a delete with
// the old row as before image; deletes of history rows (DELETE HISTORY)
// give nothing. The period columns are looked up in the current schema
// when a table map first names a table with two TIMESTAMP (or BIGINT)
// columns, and again after DDL.
//
// An interrupted snapshot (a restart, a lost connection, DDL on a table not
// read yet) resumes: a new consistent snapshot transaction continues with
// the table and after the primary key stored in the last durable record's
// position (a table without a usable key starts over, and so does a table
// whose primary key columns are no longer those stored with the key;
// positions written before the columns were stored reuse the key when the
// primary key has as many columns), and the binlog is
// then streamed from the first snapshot's position, not the new one's.
// Rows read by the second transaction may already include changes the
// binlog then replays (an update may arrive after a read showing its
// result), but since every binlog event carries full row images, applying
// the events in order always ends at the table's contents. If the first
// snapshot's binlog was purged meanwhile, the snapshot starts over.
//
// Snapshot progress (per table: state, rows done, rows estimated from
// information_schema) is published with SourceTaskContext.SetProgress, so
// it shows in the task status, and logged every 10 seconds. While
// streaming, the progress has phase "streaming", binlog (where a restart
// would read again: the position resumed from until records or skipped
// events move it) and connected: true from the server's first event after
// connecting, without waiting for a row change, and false while the task
// is not reading the binlog (starting, or reconnecting after an error).
//
// # Positions and restart
//
// All records of a server share the partition "mysql:" + server.name (see
// Partition). Their offset, as JSON:
//
//	{"file":"mysql-bin.000042","pos":1234,"gtids":"0-1-99","event":2,"row":17}
//
// file and pos are where the record's transaction starts in the binlog, a
// transaction boundary; gtids is the GTID set executed before it. event and
// row say how much of the transaction was emitted up to and including this
// record: its first event data events (row events, of any table, and
// TRUNCATE statements) and then row rows of the next one. On restart the
// task reads the binlog again from file:pos (or from the GTID set with
// binlog.resume=gtid, which survives a failover) and skips exactly that
// much. So whatever prefix of the records the runtime stored, a restart
// neither replays part of a stored transaction nor skips any of it. Only
// the first of the two records of a primary key change (see Record format)
// stops short of covering its row: after it, both come again. With
// provide.transaction.metadata, the offsets of a transaction's records
// after its BEGIN event also hold "transaction_id" (Debezium's offset key),
// so that a restart does not emit the BEGIN again.
//
// Kafka Connect's REST API (GET and PATCH /connectors/{name}/offsets)
// shows and takes positions in Debezium's MySQL shape (Connector implements
// connect.KafkaOffsets): {"partition": {"server": server.name}, "offset":
// {"file": .., "pos": .., "gtids": .., "event": .., "row": ..}}, the keys
// and meanings of Debezium's offsets; a PATCH drops Debezium's ts_sec and
// server_id and refuses its snapshot keys.
//
// During the snapshot the offset also holds {"snapshot":{"db":..,
// "table":..,"key":[..],"cols":[..]}}: where the snapshot resumes, key
// being the primary key of the last row emitted and cols its columns' names
// (file, pos and gtids are then where the binlog stream will start). The snapshot's last record
// carries a plain stream offset.
//
// Positions only move with records. While only tables that are not captured
// change, the stored position stays behind; a restart reads that part of
// the binlog again (without emitting anything), and it must not be purged
// meanwhile. heartbeat.topic makes the task emit a heartbeat record (key
// {"server":name}, value {"ts_ms":...}) carrying the current position when
// the binlog moved but no record was emitted for heartbeat.period.
//
// Lost binlog connections (server restart, network) are detected by the
// server's heartbeats and read.timeout. Poll then returns a
// connect.Retriable error naming the server and the cause, and the next
// Poll reconnects at the end of the records already returned: the runtime
// retries with backoff, and nothing is replayed or lost. Go-mysql's own
// reconnection is off, since it resumes in the middle of a transaction.
//
// # Schema changes
//
// A table's schema is taken from each row event's table map event: with
// binlog_row_metadata=FULL it carries the column names, signedness,
// character sets, ENUM and SET members and the primary key as they were
// when the row was written. So rows written before and after an ALTER TABLE
// decode with their own columns, also when they are read again after a
// restart that happened in between: no schema history needs to be stored.
// The snapshot reads the current schema from information_schema, which is
// the schema of the rows it reads.
//
// Without full metadata (older servers, binlog_row_metadata=MINIMAL) the
// task falls back to the current schema from information_schema, refreshed
// after each DDL; a row read after a later ALTER then decodes with the wrong
// columns, so the task warns at start. DDL statements are logged (their
// first two words at Info, their text only at Debug); they produce no
// change events, except TRUNCATE (op "t", when not in skipped.operations),
// and with include.schema.changes, schema change events (below).
//
// Statement text, in the Debug log and in source.query, has its credentials
// masked: the string after IDENTIFIED BY, IDENTIFIED VIA .. USING,
// PASSWORD(, OLD_PASSWORD( and the like, and in SET PASSWORD, becomes
// '[hidden]' (the server writes account statements to the binlog with their
// passwords in clear text).
//
// # Schema change events
//
// With include.schema.changes (Debezium's setting and meaning; default
// false here, true under Debezium's class), each CREATE TABLE, ALTER TABLE,
// RENAME TABLE, CREATE or DROP INDEX and DROP TABLE of a captured table
// emits a schema change event on schema.changes.topic, shaped as Debezium's
// MySQL connector writes them ("Schema change topic" in its documentation):
//
//	Key    {databaseName} (io.debezium.connector.mysql.SchemaChangeKey)
//	Value  {source, ts_ms, databaseName, schemaName (null), ddl,
//	       tableChanges: [{type, id ("db"."table"), table: {defaultCharsetName,
//	       primaryKeyColumnNames, columns: [{name, jdbcType, nativeType,
//	       typeName, typeExpression, charsetName, length, scale, position,
//	       optional, autoIncremented, generated, comment,
//	       defaultValueExpression, enumValues}], comment}}]}
//	       (io.debezium.connector.mysql.SchemaChangeValue, the table change
//	       io.debezium.connector.schema.Change, Table and Column)
//
// as typed rows (SchemaChangeKeySchema, SchemaChangeValueSchema) that the
// JSON converter writes with their fields in Debezium's order. source is
// the DDL event's source block (db and table the changed table's, row 0),
// ts_ms when the event was made; type is CREATE, ALTER (also for a rename:
// the new name, and for index changes) or DROP (with table null, as
// Debezium). A statement changing several tables (DROP TABLE a, b; RENAME
// TABLE) gives one event per table. The columns are described as
// Debezium's DDL parser describes them: jdbcType the java.sql.Types of the
// type name, typeName upper case with UNSIGNED and ZEROFILL, length and
// scale as written in the column type (INT(11) has length 11), generated
// true for AUTO_INCREMENT columns too, a string DEFAULT unquoted.
//
// A snapshot first emits a CREATE event per captured table, before any row
// (as Debezium's), with SHOW CREATE TABLE's text as ddl and source.snapshot
// "true". Records carry positions that make a restart emit each event once:
// the snapshot's CREATE events resume after the last one emitted, and the
// events of a DDL statement count as its rows.
//
// Differences from Debezium: there is no DDL parser, so the table's new
// schema is information_schema's when the event is read (while the stream
// is behind a later ALTER of the same table, that later schema; null when
// the table is gone by then); only tables the filters capture get events
// (Debezium's default also emits them for the other tables of captured
// databases, and for database-level statements with empty tableChanges);
// the snapshot emits no DROP/CREATE DATABASE or SET statements; schema
// names carry no version (Kafka's "version":1).
//
// # Transaction metadata
//
// With provide.transaction.metadata (Debezium's setting; default false),
// each streamed change event of a transaction carries Debezium's
// transaction block (Change.Transaction; the JSON converter writes it as
// the envelope's "transaction" {id, total_order, data_collection_order}),
// and the transaction's events are bracketed by a BEGIN and an END event
// on topic.prefix + topic.transaction ("transaction"; under Debezium's
// class <topic.prefix>.transaction, as Debezium):
//
//	Key    {id} (io.debezium.connector.common.TransactionMetadataKey)
//	Value  {status: BEGIN or END, id, event_count (END only),
//	       data_collections: [{data_collection: "db.table", event_count}]
//	       (END only, tables in the order of their first event), ts_ms}
//	       (io.debezium.connector.common.TransactionMetadataValue, its
//	       elements event.collection)
//
// as typed rows (TransactionKeySchema, TransactionValueSchema). id is
// Debezium's MySQL transaction id: the GTID (MariaDB's domain-server-seq,
// MySQL's uuid:n), else "file=<binlog>,pos=<position of BEGIN>";
// total_order counts the transaction's change events from 1, and
// data_collection_order those of the event's table; ts_ms is the binlog
// time of the transaction's start (BEGIN) or commit (END). END comes after
// the commit, also when the transaction's events span several polls.
// Tombstones, snapshot reads, TRUNCATE and schema change events have no
// block and are not counted (DDL is not part of a transaction).
//
// A restart inside a transaction reads it again from its start: the
// events emitted before are made again and counted without being emitted,
// and the stored transaction_id says the BEGIN was emitted, so the orders
// go on where they were and the END counts every event of the transaction
// (Debezium stores its counts in the offsets for the same purpose; a
// Debezium offset holding them is accepted, its counts made again).
//
// Differences from Debezium: a transaction without change events (only
// tables not captured, or only operations in skipped.operations) has no
// BEGIN and END (Debezium emits them for every transaction); MariaDB's DDL
// gets none either (Debezium emits a BEGIN without END for it).
//
// # Type mapping
//
// With value.encoding=connect_go (the default; see Value encodings for
// Debezium's), snapshot and binlog give the same Go values and the same
// schema (see Schemas) for the same data, and the JSON converter decodes
// them back to equal values:
//
//	column                       Go value                               field schema
//	TINYINT                      int64                                  int8
//	TINYINT UNSIGNED, SMALLINT   int64                                  int16
//	SMALLINT UNSIGNED, MEDIUMINT
//	(UNSIGNED), INT              int64                                  int32
//	INT UNSIGNED, BIGINT         int64                                  int64
//	BIGINT UNSIGNED              int64; uint64 above math.MaxInt64      uint64
//	FLOAT                        float64 of the float32's shortest      float32
//	                             decimal (3.1415927)
//	DOUBLE                       float64                                float64
//	DECIMAL(p,s), NUMERIC        string, exact, with the column's       decimal, Precision p, Scale s
//	                             scale ("-12.50")
//	DATE                         time.Time, midnight UTC                date
//	DATETIME(n)                  time.Time in UTC holding the wall      timestamp, Fraction n
//	                             clock value
//	TIMESTAMP(n)                 time.Time, the instant, in UTC         timestamp, Fraction n, Zoned
//	zero or invalid dates        string: the server's own text, as      date, timestamp (a NOT NULL
//	(0000-00-00, 2024-00-10,     it prints the column ("0000-00-00",    column's field stays required)
//	2023-02-30 under a relaxed   "2024-00-10 00:00:00.000" for
//	sql_mode)                    DATETIME(3)): connect.IsDateText
//	TIME(n)                      string "[-]HH:MM:SS[.f]" with n        time, Fraction n
//	                             fraction digits ("-838:59:59")
//	YEAR                         int64 (0 for 0000)                     year
//	CHAR, VARCHAR, TEXT          string, UTF-8 (other character sets    string, Charset the column's
//	                             converted; see below)                  character set ("" for UTF-8)
//	BINARY(n)                    []byte of n bytes (zero padded, as     bytes
//	                             stored)
//	VARBINARY, BLOB              []byte, never nil                      bytes
//	ENUM                         string, the member ("" for the         enum, Members
//	                             invalid value)
//	SET                          string, the members joined with ","    set, Members
//	BIT(1)                       bool                                   bit, Width 1
//	BIT(n)                       int64; uint64 above math.MaxInt64      bit, Width n
//	JSON (MySQL)                 string: the document's normalized      json
//	                             text
//	JSON (MariaDB)               string: the document as written        string (MariaDB's JSON is a
//	                                                                    LONGTEXT: neither the binlog
//	                                                                    nor information_schema tell)
//	GEOMETRY and kin             []byte, MySQL's internal SRID + WKB    bytes
//	                             form
//	generated columns            their values, virtual and stored alike
//	NULL                         nil
//
// Binlog text in latin1 (cp1252, its 5 undefined bytes as U+0081, U+008D,
// U+008F, U+0090 and U+009D like the server) and other common single- and multi-byte
// character sets is converted to UTF-8, as the snapshot's utf8mb4
// connection does; text in a character set not known here is passed as it
// is. MariaDB's INET4, INET6 and UUID columns are not mapped alike from both
// sides.
//
// # Value encodings
//
// The Type mapping above is connect-go's lossless encoding
// (value.encoding=connect_go, the default). value.encoding=debezium (the
// default under Debezium's class) selects all of Debezium's defaults at
// once, and Debezium's settings then change one type each, with
// Debezium's names and meanings (the package internal/dbzmodes maps the
// rows; its documentation has the full table). Snapshot and binlog give
// the same values and schemas in every mode. Where the two encodings
// differ, with Debezium's default first:
//
//	DATE                 io.debezium.time.Date, int32 days since the epoch;
//	                     connect_go: time.Time
//	DATETIME(0-3)        io.debezium.time.Timestamp, int64 ms (4-6: MicroTimestamp,
//	                     µs); connect_go: time.Time
//	TIMESTAMP(n)         io.debezium.time.ZonedTimestamp, "2018-06-20T13:37:03.000000Z"
//	                     with n fraction digits in every Debezium mode (a zero
//	                     one "1970-01-01T00:00:00Z", Debezium's fallback);
//	                     connect_go: time.Time, n in the schema's fraction (the
//	                     JSON converter writes RFC 3339, trailing zeros dropped)
//	TIME(n)              io.debezium.time.MicroTime, int64 µs, -838:59:59 to
//	                     838:59:59 exact (connect and isostring cannot carry
//	                     TIME outside one day: a fatal error naming the column,
//	                     where Debezium writes null or 0); connect_go: "-838:59:59"
//	zero, invalid dates  null in a NULL column, the epoch (0, "1970-01-01Z")
//	                     in a NOT NULL one, as Debezium (so an update from
//	                     one such date to another has equal images, as in
//	                     Debezium); connect_go: the server's text
//	                     ("2024-00-10"), never equal for different dates
//	DECIMAL(p,s)         Kafka's Decimal (scale, connect.decimal.precision):
//	                     the unscaled two's-complement bytes, base64 in JSON
//	                     ("BOI=" for 12.50); double, string; connect_go: "12.50"
//	BIGINT UNSIGNED      long: int64, above 2^63-1 negative as Debezium's
//	                     (precise: Decimal(20,0)); connect_go: exact
//	BIT(n>1)             io.debezium.data.Bits (length), little-endian bytes;
//	                     number: the integer
//	BIT(1)               boolean; connect_go: a bit(1) schema, bool values
//	BINARY, BLOB         bytes (base64 in JSON) in both; base64,
//	                     base64-url-safe, hex as Debezium's
//	strings              no charset parameter; connect_go: the charset of
//	                     non-UTF-8 columns
//
// Envelope and source block are Debezium 3's in every encoding (see
// Record format): ts_ms, ts_us and ts_ns of the envelope are the
// processing time; source.ts_us and ts_ns are the event's time, in whole
// seconds while streaming (the binlog header's precision; Debezium's MySQL
// connector takes µs from MySQL 8's original commit timestamp where there
// is one, not here); source.sequence is null; source.snapshot has
// Debezium's markers; source.connector is "mariadb" from a MariaDB server
// also under Debezium's MySQL class (Debezium 3's MySQL connector no longer
// reads MariaDB: its MariaDB connector writes "mariadb"); source.version
// is this module's version, not Debezium's. The transaction block is null
// unless transaction metadata is provided.
//
// Alike in both: integers (TINYINT int8 .. BIGINT int64, unsigned ones one
// size up), FLOAT float32, DOUBLE float64, strings (UTF-8 values), ENUM
// (io.debezium.data.Enum), SET (io.debezium.data.EnumSet), YEAR
// (io.debezium.time.Year). Still different from Debezium in every mode:
// YEAR 0 and dates in the years 0-99 stay as stored (Debezium's
// enable.time.adjuster makes YEAR 0 2000; here only false is accepted); MariaDB's JSON is a string
// without io.debezium.data.Json (neither the binlog nor
// information_schema tells it from LONGTEXT); spatial types are bytes of
// MySQL's SRID+WKB form, not Debezium's Geometry struct; a NOT NULL
// column's DEFAULT is not in the schema and does not replace a zero date;
// Debezium's snapshot writes TIMESTAMP without padding the fraction, its
// binlog with n digits: both give n digits here. With
// unsafe.integer.handling.mode=string (connect-go's own), integers beyond
// ±2^53 are text, for JSON readers that parse numbers as doubles.
//
// # Record format
//
// Each row change is a connect.Record:
//
//	Topic      topic.prefix + table name (or db.table with topic.naming)
//	Key        *connect.Struct of the primary key columns (key schema,
//	           below); nil for tables without a primary key (the
//	           transport then spreads their events over queues: no
//	           per-row order)
//	Change     Op c (insert), u (update), d (delete), r (snapshot read),
//	           t (truncate); Before and After row images as
//	           *connect.Struct of the row schema (nil where Debezium has
//	           null); Source a *connect.Struct of SourceSchema
//	Timestamp  the binlog event's time (seconds); the read time for
//	           snapshot rows
//	Position   see Positions and restart
//
// Change.Source is Debezium's source block, in the field order of
// Debezium's io.debezium.connector.mysql.Source, or
// io.debezium.connector.mariadb.Source from a MariaDB server
// (SourceSchema): version (SourceVersion: the module's version in the
// build, else Version), connector ("mysql", or "mariadb" from a MariaDB
// server, as Debezium 3's separate MariaDB connector writes it, whichever
// class name runs the connector), name (server.name), ts_ms, snapshot
// (see below), db, sequence (always nil, as Debezium's MySQL and MariaDB
// connectors leave it), ts_us and ts_ns (ts_ms in µs and ns: the binlog
// event's time, which the binlog header has in whole seconds, so both
// end in zeros while streaming; the page's read time for snapshot rows),
// table, server_id, gtid (nil without GTIDs), file and pos (the row
// event's binlog file and start position; the snapshot's position for
// snapshot rows), row (the row's index in its event), thread (MySQL,
// when known; else nil) and query (with include.query; else nil).
// snapshot is an io.debezium.data.Enum, as Debezium's, with Debezium's
// markers: "false" while streaming; in the snapshot "last" on its last
// row, else "first" on the first row of its first table (none when that
// table is empty), else "last_in_data_collection" on a table's last row,
// else "first_in_data_collection" on a table's first row, else "true". A
// resumed snapshot does not mark the first row it reads in a table it
// resumes in the middle. The rows of a snapshot page share one source
// block (the marked ones have their own).
//
// Change.At, the processing time, is when the connector made the event
// (the records of one row event share one, and a snapshot page's rows one
// per 256 rows: a clock read costs a tenth of a row's record).
// On the wire the JSON converter writes the change as Debezium 3's
// envelope {"before","after","source","transaction","op","ts_ms","ts_us",
// "ts_ns"}, with Change.At as ts_ms, ts_us and ts_ns, rows and source
// block with their fields in schema order.
//
// # Schemas
//
// Records are typed: each table version (its columns as a table map event
// or information_schema describes them) has one row schema and one key
// schema, made once and shared by all its records, so they cost nothing
// per row and compare at once by pointer. They are named as Debezium names
// them, <server.name>.<db>.<table>.Value and .Key. The row schema is an
// optional struct of the table's columns in table order (MariaDB's system
// period columns left out), the key schema a struct of the primary key
// columns in key order. A field is optional when its column is nullable;
// its logical type and parameters are those of the type mapping above: integer width
// and signedness, DECIMAL precision and scale, fraction digits of TIME,
// DATETIME and TIMESTAMP (and Zoned for TIMESTAMP), ENUM and SET members
// (as UTF-8), BIT width, and the character set of text columns not in
// UTF-8. With binlog_row_metadata=FULL the binlog carries all of this; the
// snapshot reads it from information_schema, and both give equal schemas
// for the same table. After an ALTER TABLE, rows get the schema of the
// table version they were written with (a new *connect.Schema).
//
// An update that changes the primary key becomes a delete of the old key
// and a create of the new one, as Debezium does, so consumers keyed by
// primary key stay right.
//
// With tombstones.on.delete, each delete (also the delete of a primary key
// change) is followed by a tombstone: a record with the row's key and no
// value and no change, at the delete's position, so that a compacted topic
// (Kafka's log compaction) can drop the row's events. Tables without a
// primary key get none. The JSON converter writes a tombstone as an empty
// value; the RocketMQ transport, whose broker cannot store an empty body,
// sends one zero byte with the property CONNECT_EMPTY_BODY and hands back
// an empty value (RocketMQ does not compact topics: there a tombstone only
// tells consumers the row is gone).
//
// # Failure handling
//
//	server down, connection lost   Poll returns connect.Retriable; the next
//	                               Poll reconnects where the records returned
//	                               so far end (runtime retries with backoff)
//	wrong password, no privilege   connect.Fatal naming host and cause
//	binlog off, not ROW, not FULL  Start fails with a fatal error naming the
//	                               setting
//	binlog to resume from purged   Start (or Poll) fails with a fatal error
//	                               saying so; snapshot.mode=when_needed
//	                               takes a new snapshot instead
//	DDL during the snapshot        on a table not read yet: may fail its
//	                               read (table definition changed):
//	                               retriable, the snapshot
//	                               resumes in a new transaction; on a table
//	                               read or being read: the DDL waits (see
//	                               below)
//	row that cannot be decoded     fatal, naming table, file and position
//
// The snapshot transaction holds a metadata lock on every table it has read
// until the snapshot ends, so an ALTER TABLE (or other DDL) of such a table
// waits for the end of the snapshot, or fails after lock_wait_timeout; and
// while it waits, the statements on that table queued behind it wait too.
// Run DDL of captured tables before or after a snapshot, not during one.
//
// Error messages name the server (host:port) and the cause, never the
// password. Go-mysql's log goes to the task's logger one level lower (its
// errors are warnings: the task reports what matters itself).
//
// # Resources
//
// Memory is bounded by batch sizes, not by how far the source is ahead: a
// snapshot holds one page of rows; streaming holds 32 events parsed ahead
// by go-mysql and one batch of poll.max.records records made ahead of
// Poll. A snapshot page is read by a goroutine of its own while Poll hands
// its first records to the runtime, poll.max.records at a time (the
// page's end comes whole, once read: the snapshot's last record is marked
// then); it reads the page to its end without waiting, so the server never
// waits for the connector in the middle of a result. Streaming runs two
// goroutines (go-mysql's reader and the record maker). Stop stops them all
// and waits for them.
//
// Rows, keys, source blocks, records and their offsets are carved from a
// few blocks per row event (or snapshot page), and go-mysql's values are
// kept where they already are the connector's (integers as int64, DOUBLE,
// DECIMAL and UTF-8 text): a row of BIGINT, VARCHAR and DOUBLE columns
// costs no allocation of its own, and each converted value (a smaller
// integer above 255, a date or time, a FLOAT, text in another character
// set) one.
//
// # Limitations
//
// One task per server: a binlog is one ordered stream. Only transactional
// tables (InnoDB) are snapshotted consistently; MyISAM and Aria tables are
// read as they are while the snapshot runs. XA transactions are emitted at
// XA PREPARE. MySQL's partial JSON updates
// (binlog_row_value_options=PARTIAL_JSON) are refused. Debezium's schema
// history topic is not written (see Schema change events). The MySQL code paths
// (FLUSH TABLES WITH READ LOCK, MySQL GTIDs, binary JSON) are written but
// only MariaDB 10.11 is tested here.
package mysqlsource
