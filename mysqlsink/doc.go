// Package mysqlsink is a sink connector for MySQL and MariaDB: it writes
// change events (from mysqlsource, or Debezium's JSON) and plain records
// into tables, and with delivery=exactly_once applies each exactly once.
// It is built on github.com/go-sql-driver/mysql.
//
//	rt := runtime.New(runtime.WithPlugin("MySQLSink", func() connect.Connector { return mysqlsink.New() }))
//	rt.CreateConnector(ctx, "replica", connect.Config{
//		"connector.class":   "MySQLSink",
//		"topics":            "shop.orders,shop.customers",
//		"host":              "127.0.0.1",
//		"user":              "writer",
//		"password":          "...",
//		"database":          "shop_copy",
//		"table.name.format": "${source.table}",
//		"delivery":          "exactly_once", // on RocketMQ
//	})
//
// examples/mysql-to-mysql is a complete replication program.
//
// # Exactly once
//
// Under delivery=exactly_once a task writes the rows of a
// batch and the transport positions it consumed (connector, topic, queue,
// offset of the last record) in one transaction, into offsets.table in the
// target database. The transaction begins by reading the stored offsets of
// the batch's queues with SELECT ... FOR UPDATE, skips every record at or
// before them, writes the rest, stores the new offsets and commits. So a
// crash at any instant, a redelivery, or two tasks holding one queue for a
// moment during a rebalance (the second waits on the row lock, then skips
// what the first wrote) apply nothing twice and skip nothing: the records
// of a queue reach a task in order from the group's committed offset, which
// is never past what a committed transaction stored. The runtime's own
// acknowledgement to the transport only shortens what comes again.
// at_least_once writes the rows alone; with upserts a redelivered record
// writes its row again, with insert.mode=insert it is inserted twice, and
// a task that still holds a queue during a rebalance may write an older
// change after the new owner wrote a later one.
//
// The stored positions are the transport's offsets, so they must outlive
// the transport's own: with transport/memory, whose offsets start at 0 in
// every process, or after a topic was deleted and created again, delete
// the connector's rows from offsets.table (or use at_least_once), or the
// new records are skipped as already written. That is why exactly_once is
// not the default: the default transport is the in-memory one. The queue
// numbers must be stable too: transport/rocketmq numbers a topic's queues
// by their place among the brokers' queues, so a broker added to or taken
// from the topic's route renumbers them; reset the offset rows then.
//
// Put writes a batch in the open transaction and Flush commits it; rows go
// as multi-row statements (batch.size rows at most) over one connection
// per task, and the offsets are stored in the round trip that commits.
// The task remembers the offsets its last commit stored: a batch whose
// queues all had them assumes they are still there, and sends START
// TRANSACTION and the locking read with its first statement, in one round
// trip; when the offsets read are not the ones assumed (another task wrote
// those queues since), the transaction is rolled back and the batch put
// again with the locking read first. A batch with a queue the task did not
// commit last (its first, after a failure or a rebalance) reads the
// offsets first, in a round trip of its own. Creating or altering a table
// commits implicitly, so it happens before the transaction begins.
//
// The task does not implement connect.PreCommitter (Kafka's preCommit):
// Flush commits synchronously, so every offset it stored is safe to
// acknowledge when Flush returns, which is what the runtime does without
// it; under exactly_once the acknowledgement only shortens what comes
// again after a crash, as the offsets in the target decide.
//
// # A source restarted
//
// The transport offsets cover the way from the transport to the target. A
// source that is killed publishes again, after a restart, what it
// published after its last stored position: new messages with new
// offsets. For the change events of connect-go's MySQL source (mysqlsource),
// source.dedupe=true (off by default; under exactly_once) skips those
// copies too: each queue's offset row also holds, per source name and
// table, the binlog position of the last streamed event applied, written
// in the same transaction, and a streamed event at or before it is skipped
// (counted as "replayed" in the task's progress), as is the tombstone right
// after a skipped delete. The position is the source block's file, pos and
// row in the binlog the header mysqlsource.HeaderBinlogServer names (the
// server that wrote it: the source block's server_id is the transaction's
// origin, the same in a primary's and its replicas' binlogs); binlog files
// compare by number (mysql-bin.999999 before mysql-bin.1000000), and the
// delete and create of a primary key change, which share a row, in that
// order.
//
// It holds because a queue carries its source's events in binlog order
// (the runtime publishes a source task's batches one after another, a
// queue's messages in order, and nothing after a batch that failed or was
// skipped) and a copy lands in the queue of its first copy (the queue of a
// message with a key is fixed by its key: connect.Origin.Keyed).
// TestReplicationKill9 kills a worker, and connectd, running the source
// and the sinks five times each, and an insert-only audit table still
// holds each event once. Where the position cannot tell, the event is
// applied:
//
//	messages without a key      applied (a copy may go to another queue, so its
//	                            queue's marks say nothing about it), also when a
//	                            transform of the sink gave the record a key
//	snapshot reads (op r)       applied, and they clear their table's mark (a new
//	                            snapshot follows a reset of the source's positions):
//	                            a snapshot cut by a kill emits its last rows again,
//	                            so an insert-only table can get those twice
//	another binlog              applied, the mark replaced: after a failover, the
//	                            copies read from the other server are applied again
//	Debezium's events           not read: they do not say which binlog their position
//	                            is in, so their copies are applied again
//	other sources, transforms   not read: a record without a MySQL source block, or
//	that drop the envelope      without the header (ExtractNewRecordState), is applied
//
// Why it is off by default: it assumes what the sink cannot check, and
// breaking an assumption can skip an event that was never applied:
//
//	the topic's route           a key stays on its queue: with RocketMQ, a broker that
//	                            leaves or joins the topic's route, or a new queue count,
//	                            moves keys (while the source replays, copies can then be
//	                            taken for applied events): reset the offset rows then
//	the source's binlog         the same events at the same positions again: not after
//	                            RESET MASTER (RESET BINARY LOGS) with the same server_id
//	                            (reset the offset rows with the source's positions),
//	                            nor a change of the source's skipped.operations or
//	                            filters replayed over
//	one source per topic        two connectors with the same name (topic prefix)
//	                            writing into one topic interleave their binlogs
//	unique server_ids           a binlog is named by its writer's server_id: servers
//	                            the source can reach must not share one (as replication
//	                            requires; Galera nodes behind one address, a clone of
//	                            the primary with its server_id, would look like one)
//	truncate.enabled            a truncate event has no key: its copy would be applied
//	                            again and the copies of the rows after it skipped, so
//	                            the two together are a field error
//
// Resetting (setting source_positions to NULL, or deleting the rows) may
// happen while the task runs: its next batch reads them again. The
// positions are stored with the transport offsets, so source.dedupe with
// at_least_once is a field error.
//
// # Records
//
// A change event (op c, r, u, d, t; connect.Change, or a plain value that
// is Debezium's envelope, also inside Kafka's {"schema","payload"}) writes
// its after image (c, r, u), deletes by its key (d) or empties the table
// (t, with truncate.enabled, by DELETE inside the transaction). An update
// whose before image has another primary key moves the row: the old one is
// deleted, the new one written, in the same transaction. A plain record
// writes its value, a row (a *connect.Struct or a map of columns); a record
// with a null value (a tombstone) deletes the row of its key. insert.mode
// decides how rows are written: insert, upsert (INSERT ... ON DUPLICATE KEY
// UPDATE) or update (UPDATE by primary key). The primary key comes from
// the record key (record_key: a change event's key columns), from row
// fields (record_value), from the transport position (kafka) or not at all
// (none: rows are only inserted).
//
// # Types
//
// Typed records (a *connect.Struct row, as mysqlsource emits and the JSON
// converter decodes with schemas enabled) are written exactly: every
// logical type to the column type that holds it (DECIMAL(p,s) as its
// exact string, DATETIME(n) and TIMESTAMP(n) in UTC, TIME beyond 24 hours
// and negative, BIGINT UNSIGNED, BIT(n), JSON, ENUM, SET, binary), so that
// a replicated table compares equal column by column and by CHECKSUM
// TABLE. auto.create makes a missing table from the row's schema, with its
// primary key (strings and bytes of key columns as VARCHAR(255) and
// VARBINARY(255), others as LONGTEXT and LONGBLOB: a schema carries no
// length); Kafka's and Debezium's semantic types (io.debezium.time.Date,
// MicroTimestamp, ZonedTimestamp, org.apache.kafka.connect.data.Decimal,
// io.debezium.data.Json, Bits) map to DATE, DATETIME(6), TIMESTAMP(6),
// DECIMAL, JSON, BIT. auto.evolve adds the columns a new schema version
// brings, nullable; it never drops or changes one.
//
// Untyped records (maps, as the JSON converter decodes without schemas)
// are written into existing tables by the target columns' own types, read
// from information_schema once per table: a number into a DECIMAL as its
// exact text, an RFC 3339 string into a DATETIME or TIMESTAMP as UTC, and
// Debezium's integer encodings of temporal columns (days for DATE,
// milliseconds or microseconds for DATETIME by its precision,
// microseconds for TIME), a map or array into a JSON column as JSON text, a
// string into a binary column as its bytes (Debezium's schemaless JSON
// writes bytes as base64: enable schemas to keep them). A missing table or
// column is not guessed from one map (a null or an empty array has no
// type): auto.create and auto.evolve of an untyped record fail that record,
// naming the table and saying that it needs a schema.
//
// # Failures
//
// A record the target refuses for its values (a string too long, a number
// out of range, a duplicate key under insert, a foreign key) or that cannot
// be mapped (no key, not a row, no such column) is reported in a
// *connect.BatchError: the other records of the batch are written, and the
// runtime dead-letters the failed ones or fails the task, per
// errors.tolerance. Statements run merged; when one fails, the server
// rolls it back and its records run again one at a time, each under a
// savepoint, to find the failed ones. A failure of the target itself (a
// lost connection, a server restart, a lock wait beyond lock.timeout, a
// deadlock, KILL) rolls the transaction back and is connect.Retriable: the
// runtime delivers the batch again. The session runs with time_zone
// +00:00 and sql_mode STRICT_ALL_TABLES,ALLOW_INVALID_DATES,
// NO_AUTO_VALUE_ON_ZERO: a value that does not fit is an error, but zero
// and invalid dates ("0000-00-00", "2024-00-10", "2023-02-30"), which
// connect-go's MySQL source passes on as the server's text when the
// source server stored them, are written as they are. Errors name the
// server and never the password.
//
// # Settings
//
//	connection.url        jdbc:mysql://host:port/database (or jdbc:mariadb://, mysql://), instead of
//	                      host, port and database; credentials and parameters are field errors
//	host, port            the server (port 3306); host required without connection.url
//	user (connection.username, connection.user)      required
//	password (connection.password)                   secret
//	database              database of tables named without one, and of offsets.table
//	tls.mode, tls.ca      disabled (default), required, verify_identity; a PEM file. A certificate
//	                      that fails verification fails the task at once (not retried)
//	connect.timeout       10s
//	lock.timeout          10s: a lock wait longer than this fails the batch, which is retried
//	insert.mode           upsert (default), insert, update
//	delete.enabled        true: delete events and tombstones delete rows (not with primary.key.mode none or kafka)
//	truncate.enabled      false: truncate events empty the table
//	primary.key.mode (pk.mode)      record_key (default), record_value, kafka, none
//	primary.key.fields (pk.fields)  record_value: the key fields (required); record_key: the column of a
//	                      key that is a single value, or the key fields to use; kafka: three column names
//	table.name.format (collection.name.format)  ${topic} (default; its dots become underscores),
//	                      ${source.db}, ${source.table}; one literal dot separates database and table
//	auto.create           false: create missing tables from typed records
//	auto.evolve           false: add missing columns from typed records
//	schema.evolution      Debezium's: basic is auto.create and auto.evolve, none neither
//	batch.size            1000: most rows of one statement
//	delivery              at_least_once (default), exactly_once (needs transport offsets that
//	                      outlive the process: RocketMQ)
//	offsets.table         connect_sink_offsets ([database.]table), created when missing
//	source.dedupe         false; true under exactly_once: also skip the change events a restarted
//	                      mysqlsource published again (see "A source restarted")
//
// The runtime's own settings (topics, tasks.max, batch.size.max,
// errors.tolerance, errors.deadletterqueue.topic.name, errors.retry.*)
// apply as to every sink. tasks.max tasks share the topics' queues.
//
// # Kafka's and Debezium's JDBC sinks
//
// A worker runs NewDebezium under io.debezium.connector.jdbc.JdbcSinkConnector:
// Debezium's defaults (insert.mode=insert, primary.key.mode=none,
// delete.enabled=false) and names. Confluent's JdbcSinkConnector is not
// registered under its class name: its table.name.format reads a dotted
// topic as schema.table, and its defaults would be taken silently for
// ours; its names (pk.mode, pk.fields, connection.user) are accepted. What
// differs:
//
//	setting or behaviour               Kafka JDBC sink / Debezium JDBC sink        here
//	delivery                           at least once                               also exactly_once (offsets in the target)
//	a restarted source's copies        applied again                               skipped by binlog position (source.dedupe)
//	insert.mode default (New)          insert                                      upsert; NewDebezium: insert
//	primary.key.mode default (New)     none                                        record_key; NewDebezium: none
//	delete.enabled default (New)       false                                       true; NewDebezium: false
//	schema.evolution / auto.*          basic / auto.create, auto.evolve            both accepted; evolution adds nullable columns
//	table.name.format                  ${topic} (Debezium: dots to underscores;    ${topic} with dots to underscores, and
//	                                   Kafka: a dotted name is schema.table)       ${source.db}, ${source.table}
//	connection.url                     any JDBC URL with parameters                MySQL/MariaDB only, no parameters, no credentials
//	quote.identifiers, quote.sql.*     configurable                                always quoted; setting it is a field error
//	field.include/exclude.list, fields.whitelist  supported                        field errors: use the ReplaceField transform
//	database.time_zone, db.timezone    configurable                                UTC always; field errors
//	max.retries, retry.backoff.ms      connector retries                           field errors: errors.retry.timeout and .delay.max
//	connection.pool.*, hibernate.*, dialect.*, column/table.naming.strategy   supported   field errors
//	use.reduction.buffer               optional                                    field error (statements merge runs of one table)
//	truncate events                    TRUNCATE TABLE (Debezium)                   DELETE inside the transaction, so it commits with the offsets
//	an update that changes the key     delete + insert events                      also a u event with another key in before: a row move
//	untyped values and auto.create     Kafka: fails                                fails the record, naming the table
//
// Keys that neither this connector nor the runtime knows are ignored, as
// Kafka Connect ignores them; the Kafka and Debezium settings above that
// cannot be honoured are field errors, never ignored.
package mysqlsink
