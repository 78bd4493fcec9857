package mysqlsink

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/internal/check"
)

// Config keys. Kafka's JDBC sink and Debezium's JDBC sink names of the same
// settings are accepted as aliases (see the package documentation).
const (
	KeyConnectionURL   = "connection.url"
	KeyHost            = "host"
	KeyPort            = "port"
	KeyUser            = "user"
	KeyPassword        = "password"
	KeyDatabase        = "database"
	KeyTLSMode         = "tls.mode"
	KeyTLSCA           = "tls.ca"
	KeyConnectTimeout  = "connect.timeout"
	KeyLockTimeout     = "lock.timeout"
	KeyInsertMode      = "insert.mode"
	KeyDeleteEnabled   = "delete.enabled"
	KeyTruncateEnabled = "truncate.enabled"
	KeyPKMode          = "primary.key.mode"
	KeyPKFields        = "primary.key.fields"
	KeyTableNameFormat = "table.name.format"
	KeyAutoCreate      = "auto.create"
	KeyAutoEvolve      = "auto.evolve"
	KeySchemaEvolution = "schema.evolution"
	KeyBatchSize       = "batch.size"
	KeyDelivery        = "delivery"
	KeyOffsetsTable    = "offsets.table"
	KeySourceDedupe    = "source.dedupe"
)

// Insert modes.
const (
	InsertModeInsert = "insert" // INSERT: a row that exists is an error
	InsertModeUpsert = "upsert" // INSERT ... ON DUPLICATE KEY UPDATE
	InsertModeUpdate = "update" // UPDATE: a row that does not exist is left absent
)

// Primary key modes, Debezium's JDBC sink names (Kafka's pk.mode).
const (
	PKNone        = "none"         // no key: rows are only inserted
	PKRecordKey   = "record_key"   // the record key's fields (a single value: primary.key.fields names it)
	PKRecordValue = "record_value" // the fields primary.key.fields names, from the row
	PKKafka       = "kafka"        // __connect_topic, __connect_partition, __connect_offset from the record's origin
)

// Delivery guarantees.
const (
	DeliveryAtLeastOnce = "at_least_once"
	DeliveryExactlyOnce = "exactly_once"
)

// TLS modes, as mysqlsource's and MySQL's ssl-mode.
const (
	TLSDisabled       = "disabled"
	TLSRequired       = "required"
	TLSVerifyIdentity = "verify_identity"
)

// Kafka's primary key columns of primary.key.mode=kafka, as Kafka's and
// Debezium's JDBC sinks name them.
const (
	ColumnKafkaTopic     = "__connect_topic"
	ColumnKafkaPartition = "__connect_partition"
	ColumnKafkaOffset    = "__connect_offset"
)

func configSpec() connect.ConfigSpec {
	return connect.ConfigSpec{
		{Name: KeyConnectionURL, Validate: validURL,
			Description: "Where the server is, as a JDBC URL (jdbc:mysql://host:port/database or jdbc:mariadb://...) or mysql://host:port/database; instead of host, port and database. Credentials go in user and password, never in the URL."},
		{Name: KeyHost, Validate: check.Host(KeyHost, KeyPort),
			Description: "Host name or IP address of the target MySQL or MariaDB server (without the port); required unless connection.url is set."},
		{Name: KeyPort, Type: connect.FieldInt, Default: "3306", Validate: check.IntRange(1, 65535),
			Description: "TCP port of the server."},
		{Name: KeyUser, Required: true, Aliases: []string{"connection.username", "connection.user"},
			Description: "User to connect as; it needs SELECT, INSERT, UPDATE, DELETE on the target tables and, for auto.create and auto.evolve and the offsets table, CREATE and ALTER."},
		{Name: KeyPassword, Secret: true, Aliases: []string{"connection.password"},
			Description: "Password of the user."},
		{Name: KeyDatabase, Validate: validIdent,
			Description: "Database of tables whose formatted name has no database part, and of the offsets table; required unless connection.url names one."},
		{Name: KeyTLSMode, Default: TLSDisabled, Allowed: []string{TLSDisabled, TLSRequired, TLSVerifyIdentity},
			Description: "disabled; required: encrypt without verifying the server; verify_identity: verify the certificate chain (against tls.ca, or the system's authorities) and the host name."},
		{Name: KeyTLSCA, Validate: readableFile,
			Description: "PEM file of the certificate authorities to verify the server with."},
		{Name: KeyConnectTimeout, Type: connect.FieldDuration, Default: "10s", Validate: check.PositiveDuration,
			Description: "Time allowed to connect to the server."},
		{Name: KeyLockTimeout, Type: connect.FieldDuration, Default: "10s", Validate: wholeSeconds,
			Description: "How long a statement waits for a lock held by another connection (a table locked with LOCK TABLES, a row another transaction writes) before the batch is rolled back and retried; whole seconds (the server's lock_wait_timeout and innodb_lock_wait_timeout)."},
		{Name: KeyInsertMode, Default: InsertModeUpsert, Allowed: []string{InsertModeInsert, InsertModeUpsert, InsertModeUpdate},
			Description: "How creates, snapshot reads, updates and plain records are written: insert (INSERT; a row that exists is an error), upsert (INSERT ... ON DUPLICATE KEY UPDATE), update (UPDATE by primary key)."},
		{Name: KeyDeleteEnabled, Type: connect.FieldBool, Default: "true",
			Description: "Delete the row of a delete event or of a plain record with a null value (a tombstone); when false they are skipped. Needs a primary key mode other than none."},
		{Name: KeyTruncateEnabled, Type: connect.FieldBool, Default: "false",
			Description: "Empty the target table on a truncate event (with DELETE, inside the transaction); when false truncate events are skipped."},
		{Name: KeyPKMode, Default: PKRecordKey, Aliases: []string{"pk.mode"}, Allowed: []string{PKNone, PKRecordKey, PKRecordValue, PKKafka},
			Description: "Where the primary key comes from: record_key (the record key's fields: a change event's key columns), record_value (the row's fields named by primary.key.fields), kafka (the record's transport topic, queue and offset), none (rows are only inserted)."},
		{Name: KeyPKFields, Type: connect.FieldList, Aliases: []string{"pk.fields"}, Validate: validIdentList,
			Description: "record_value: the row fields of the primary key (required); record_key: the column name of a key that is a single value, or the key fields to use; kafka: three column names instead of __connect_topic, __connect_partition, __connect_offset."},
		{Name: KeyTableNameFormat, Default: "${topic}", Aliases: []string{"collection.name.format"}, Validate: validTableFormat,
			Description: "Target table of a record: a template of ${topic} (its dots become underscores), ${source.db} and ${source.table} (a change event's source database and table). A dot in the template separates the database from the table; without one the table is in database."},
		{Name: KeyAutoCreate, Type: connect.FieldBool, Default: "false",
			Description: "Create a missing target table from the record's schema (typed records only), with its primary key."},
		{Name: KeyAutoEvolve, Type: connect.FieldBool, Default: "false",
			Description: "Add columns for fields of the record's schema that the target table lacks (typed records only); columns are never dropped or changed."},
		{Name: KeySchemaEvolution, Allowed: []string{"none", "basic"},
			Description: "Debezium's name for auto.create plus auto.evolve: basic sets both, none neither."},
		{Name: KeyBatchSize, Type: connect.FieldInt, Default: "1000", Validate: check.IntRange(1, 1<<20),
			Description: "Most rows written by one multi-row statement."},
		{Name: KeyDelivery, Default: DeliveryAtLeastOnce, Allowed: []string{DeliveryAtLeastOnce, DeliveryExactlyOnce},
			Description: "exactly_once: the consumed transport positions are stored in offsets.table in the transaction that writes the rows, and records at or before a stored position are skipped; it needs transport offsets that outlive the process (RocketMQ, not the in-memory transport). at_least_once: rows only, a redelivered record is written again (idempotent with upsert)."},
		{Name: KeyOffsetsTable, Default: "connect_sink_offsets", Validate: validTableName,
			Description: "Table of the consumed positions under exactly_once ([database.]table; default in database); created when missing."},
		{Name: KeySourceDedupe, Type: connect.FieldBool, Default: "false",
			Description: "Under exactly_once: also skip the change events of connect-go's MySQL source that a restarted source published again, by remembering per transport queue and table the binlog position of the last one applied (stored with the queue's offset). For its preconditions (one topic route, no RESET MASTER, not with truncate.enabled) see the package documentation."},
	}
}

// unsupported names the Kafka and Debezium JDBC sink settings this
// connector cannot honour; set, each is a field error rather than ignored.
// A key ending in "." stands for every key it prefixes.
var unsupported = []struct{ key, reason string }{
	{"connection.pool.", "is not supported: the sink holds one connection per task"},
	{"connection.provider", "is not supported"},
	{"hibernate.", "is not supported: the sink does not use Hibernate"},
	{"dialect.", "is not supported: the sink writes MySQL and MariaDB only"},
	{"database.time_zone", "is not supported: times are written in UTC (session time_zone +00:00)"},
	{"db.timezone", "is not supported: times are written in UTC (session time_zone +00:00)"},
	{"use.time.zone", "is not supported: times are written in UTC (session time_zone +00:00)"},
	{"quote.identifiers", "is not supported: identifiers are always quoted"},
	{"quote.sql.identifiers", "is not supported: identifiers are always quoted"},
	{"field.include.list", "is not supported: every field of a row is written (drop fields with the ReplaceField transform)"},
	{"field.exclude.list", "is not supported: every field of a row is written (drop fields with the ReplaceField transform)"},
	{"fields.whitelist", "is not supported: every field of a row is written (drop fields with the ReplaceField transform)"},
	{"column.naming.strategy", "is not supported: columns are named as the fields"},
	{"table.naming.strategy", "is not supported: use table.name.format"},
	{"max.retries", "is not supported: retries follow errors.retry.timeout"},
	{"retry.backoff.ms", "is not supported: retries follow errors.retry.timeout and errors.retry.delay.max"},
	{"flush.max.retries", "is not supported: retries follow errors.retry.timeout"},
	{"flush.retry.delay.ms", "is not supported: retries follow errors.retry.delay.max"},
	{"connection.attempts", "is not supported: connection failures are retried by the runtime"},
	{"connection.backoff.ms", "is not supported: connection failures are retried by the runtime"},
	{"table.types", "is not supported: tables only"},
	{"insert.mode.databases", "is not supported"},
	{"use.reduction.buffer", "is not supported: changes to one row in a batch are always reduced to the last one"},
	{"sql.mode", "is not supported"},
	{"db.name", "is not supported: set database"},
}

func wholeSeconds(v string) error {
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil || d < time.Second || d%time.Second != 0 || d > 365*24*time.Hour {
		return fmt.Errorf("must be a whole number of seconds from 1s to 8760h, got %q", v)
	}
	return nil
}

func readableFile(v string) error {
	f, err := os.Open(strings.TrimSpace(v))
	if err != nil {
		return fmt.Errorf("cannot read %s: %v", v, errors.Unwrap(err))
	}
	return f.Close()
}

// identRe is what a database, table or column name of a setting may be:
// anything printable but a backquote and the dot that separates names.
var identRe = regexp.MustCompile("^[^`.\\s][^`.]{0,63}$")

func validIdent(v string) error {
	if !identRe.MatchString(strings.TrimSpace(v)) {
		return fmt.Errorf("must be a database name of at most 64 characters without backquotes or dots, got %q", v)
	}
	return nil
}

func validIdentList(v string) error {
	for _, n := range (connect.Config{"x": v}).List("x") {
		if !identRe.MatchString(n) {
			return fmt.Errorf("must list column names of at most 64 characters without backquotes or dots, got %q", n)
		}
	}
	return nil
}

func validTableName(v string) error {
	db, table, ok := strings.Cut(strings.TrimSpace(v), ".")
	if !ok {
		db, table = "", db
	}
	if (ok && !identRe.MatchString(db)) || !identRe.MatchString(table) {
		return fmt.Errorf("must be table or database.table, names without backquotes, got %q", v)
	}
	return nil
}

// placeholders are the names table.name.format may hold.
var placeholders = []string{"topic", "source.db", "source.table"}

var placeholderRe = regexp.MustCompile(`\$\{([^}]*)\}`)

func validTableFormat(v string) error {
	for _, m := range placeholderRe.FindAllStringSubmatch(v, -1) {
		if !slices.Contains(placeholders, m[1]) {
			return fmt.Errorf("unknown placeholder ${%s}: use ${topic}, ${source.db} or ${source.table}", m[1])
		}
	}
	rest := placeholderRe.ReplaceAllString(v, "x")
	if strings.Contains(rest, "$") || strings.Contains(rest, "`") {
		return fmt.Errorf("must be a table name template of ${topic}, ${source.db} and ${source.table}, got %q", v)
	}
	if strings.Count(rest, ".") > 1 {
		return fmt.Errorf("may hold one dot (database.table), got %q", v)
	}
	if strings.TrimSpace(rest) == "" || strings.HasPrefix(rest, ".") || strings.HasSuffix(rest, ".") {
		return fmt.Errorf("must name a table, got %q", v)
	}
	return nil
}

// parsedURL is a connection.url taken apart.
type parsedURL struct {
	host     string
	port     int
	database string
}

// parseURL reads jdbc:mysql://host[:port][/database][?params],
// jdbc:mariadb://..., or mysql://... URL parameters are not supported, nor
// are credentials: they would show wherever the URL is shown.
func parseURL(v string) (parsedURL, error) {
	s := strings.TrimSpace(v)
	s = strings.TrimPrefix(s, "jdbc:")
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "mysql" && u.Scheme != "mariadb") || u.Host == "" {
		return parsedURL{}, fmt.Errorf("must be jdbc:mysql://host:port/database (or jdbc:mariadb://, mysql://), got %q", redactURL(v))
	}
	if u.User != nil {
		return parsedURL{}, errors.New("must not hold credentials: set user and password")
	}
	if u.RawQuery != "" {
		return parsedURL{}, errors.New("URL parameters are not supported: use this connector's settings (tls.mode, connect.timeout)")
	}
	p := parsedURL{host: u.Hostname(), port: 3306, database: strings.Trim(u.Path, "/")}
	if ps := u.Port(); ps != "" {
		n, err := strconv.Atoi(ps)
		if err != nil || n < 1 || n > 65535 {
			return parsedURL{}, fmt.Errorf("port must be from 1 to 65535, got %q", ps)
		}
		p.port = n
	}
	if strings.Contains(u.Host, ",") {
		return parsedURL{}, errors.New("must name one server")
	}
	if p.database != "" {
		if err := validIdent(p.database); err != nil {
			return parsedURL{}, err
		}
	}
	return p, nil
}

func validURL(v string) error {
	_, err := parseURL(v)
	return err
}

// redactURL drops the user information of a URL for messages.
func redactURL(v string) string {
	if i := strings.Index(v, "://"); i >= 0 {
		if j := strings.IndexByte(v[i+3:], '@'); j >= 0 {
			return v[:i+3] + "***@" + v[i+3+j+1:]
		}
	}
	return v
}

// settings is a parsed, validated configuration.
type settings struct {
	host, addr     string
	port           int
	user, password string
	database       string
	tls            *tls.Config
	connectTimeout time.Duration
	lockTimeout    time.Duration
	insertMode     string
	deleteEnabled  bool
	truncate       bool
	pkMode         string
	pkFields       []string
	tableFormat    string
	autoCreate     bool
	autoEvolve     bool
	batchSize      int
	exactlyOnce    bool
	dedupe         bool // source.dedupe, under exactly_once
	offsetsDB      string
	offsetsTable   string
}

// parseSettings parses cfg (defaults applied or not) and checks the rules
// between fields, reported as a *connect.ConfigError.
func parseSettings(spec connect.ConfigSpec, cfg connect.Config) (*settings, error) {
	cfg = spec.Apply(cfg)
	errs := &connect.ConfigError{}
	if err := spec.Validate(cfg); err != nil {
		var ce *connect.ConfigError
		if errors.As(err, &ce) {
			errs.Fields = append(errs.Fields, ce.Fields...)
		}
	}
	s := &settings{
		host:           strings.Trim(strings.TrimSpace(cfg.Get(KeyHost)), "[]"),
		port:           cfg.Int(KeyPort),
		user:           cfg.Get(KeyUser),
		password:       cfg.Get(KeyPassword),
		database:       strings.TrimSpace(cfg.Get(KeyDatabase)),
		connectTimeout: cfg.Duration(KeyConnectTimeout),
		lockTimeout:    cfg.Duration(KeyLockTimeout),
		insertMode:     cfg.Get(KeyInsertMode),
		deleteEnabled:  cfg.Bool(KeyDeleteEnabled),
		truncate:       cfg.Bool(KeyTruncateEnabled),
		pkMode:         cfg.Get(KeyPKMode),
		pkFields:       cfg.List(KeyPKFields),
		tableFormat:    cfg.Get(KeyTableNameFormat),
		autoCreate:     cfg.Bool(KeyAutoCreate),
		autoEvolve:     cfg.Bool(KeyAutoEvolve),
		batchSize:      cfg.Int(KeyBatchSize),
		exactlyOnce:    cfg.Get(KeyDelivery) == DeliveryExactlyOnce,
	}
	s.dedupe = cfg.Bool(KeySourceDedupe)
	switch {
	case !s.dedupe:
	case !s.exactlyOnce:
		errs.Add(KeySourceDedupe, "is true but it needs %s=%s (the positions are stored with the transport offsets)", KeyDelivery, DeliveryExactlyOnce)
	case s.truncate:
		// A truncate event has no key: its copy from a restarted source
		// may land in another queue and is applied again, and the copies
		// of the rows written after it would then be skipped.
		errs.Add(KeySourceDedupe, "is true but %s is true: a truncate event published again by a restarted source would be applied again, emptying rows whose copies it skips; set one of them to false", KeyTruncateEnabled)
	}
	if raw := cfg.Get(KeyConnectionURL); raw != "" {
		if u, err := parseURL(raw); err == nil {
			if cfg.Get(KeyHost) != "" {
				errs.Add(KeyHost, "is set and so is %s: set one", KeyConnectionURL)
			}
			s.host, s.port = u.host, u.port
			if s.database == "" {
				s.database = u.database
			} else if u.database != "" && u.database != s.database {
				errs.Add(KeyDatabase, "is %q but %s names %q", s.database, KeyConnectionURL, u.database)
			}
		}
	} else if s.host == "" {
		errs.Add(KeyHost, "is required (or set %s)", KeyConnectionURL)
	}
	if s.database == "" {
		errs.Add(KeyDatabase, "is required (or name the database in %s)", KeyConnectionURL)
	}
	s.addr = net.JoinHostPort(s.host, strconv.Itoa(s.port))
	if ev := cfg.Get(KeySchemaEvolution); ev != "" {
		basic := ev == "basic"
		for _, k := range []string{KeyAutoCreate, KeyAutoEvolve} {
			if v, ok := cfg[k]; ok && v != fieldDefault(spec, k) && cfg.Bool(k) != basic {
				errs.Add(KeySchemaEvolution, "is %s but %s is %s: set one of them", ev, k, v)
			}
		}
		s.autoCreate, s.autoEvolve = basic, basic
	}
	switch s.pkMode {
	case PKNone:
		if s.insertMode != InsertModeInsert {
			errs.Add(KeyInsertMode, "%s needs a primary key: set %s to record_key, record_value or kafka", s.insertMode, KeyPKMode)
		}
		if s.deleteEnabled {
			errs.Add(KeyDeleteEnabled, "needs a primary key: set %s to record_key, record_value or kafka, or %s to false", KeyPKMode, KeyDeleteEnabled)
		}
		if len(s.pkFields) > 0 {
			errs.Add(KeyPKFields, "is set but %s is none", KeyPKMode)
		}
	case PKRecordValue:
		if len(s.pkFields) == 0 {
			errs.Add(KeyPKFields, "is required with %s=record_value", KeyPKMode)
		}
	case PKKafka:
		if len(s.pkFields) != 0 && len(s.pkFields) != 3 {
			errs.Add(KeyPKFields, "must name three columns (topic, queue, offset) with %s=kafka, got %d", KeyPKMode, len(s.pkFields))
		}
		if s.deleteEnabled {
			errs.Add(KeyDeleteEnabled, "cannot delete with %s=kafka (every record is a row of its own): set it to false", KeyPKMode)
		}
	}
	if raw := cfg.Get(KeyOffsetsTable); raw != "" && validTableName(raw) == nil {
		db, table, ok := strings.Cut(raw, ".")
		if !ok {
			db, table = s.database, db
		}
		s.offsetsDB, s.offsetsTable = db, table
	}
	for _, k := range sortedKeys(cfg) {
		for _, u := range unsupported {
			if k == u.key || (strings.HasSuffix(u.key, ".") && strings.HasPrefix(k, u.key)) {
				errs.Add(k, "%s", u.reason)
				break
			}
		}
	}
	var err error
	if s.tls, err = tlsConfig(cfg, s.host); err != nil {
		var ce *connect.ConfigError
		if errors.As(err, &ce) {
			errs.Fields = append(errs.Fields, ce.Fields...)
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return s, nil
}

func fieldDefault(spec connect.ConfigSpec, key string) string {
	f, _ := spec.Field(key)
	return f.Default
}

func sortedKeys(cfg connect.Config) []string {
	keys := make([]string, 0, len(cfg))
	for k := range cfg {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// tlsConfig builds the TLS configuration of tls.mode and tls.ca, nil when
// disabled.
func tlsConfig(cfg connect.Config, host string) (*tls.Config, error) {
	errs := &connect.ConfigError{}
	mode, ca := cfg.Get(KeyTLSMode), cfg.Get(KeyTLSCA)
	if mode == TLSDisabled || mode == "" {
		if ca != "" {
			errs.Add(KeyTLSCA, "is set but %s is %s", KeyTLSMode, TLSDisabled)
		}
		return nil, errs.Err()
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: host}
	if ca != "" {
		pem, err := os.ReadFile(ca)
		pool := x509.NewCertPool()
		if err != nil || !pool.AppendCertsFromPEM(pem) {
			errs.Add(KeyTLSCA, "holds no PEM certificate")
		}
		tc.RootCAs = pool
	}
	if mode == TLSRequired {
		tc.InsecureSkipVerify = true
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return tc, nil
}
