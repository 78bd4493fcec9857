package mysqlsource

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"hash/fnv"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/internal/check"
	"github.com/openmessaging/connect-go/internal/dbzmodes"
)

// Config keys. The seed's (RocketMQ Connect's) names are accepted as
// aliases: mysqlAddr, mysqlPort, mysqlUsername, mysqlPassword,
// whiteDataBase and whiteTable.
const (
	KeyHost              = "host"
	KeyPort              = "port"
	KeyUser              = "user"
	KeyPassword          = "password"
	KeyDatabaseInclude   = "database.include"
	KeyDatabaseExclude   = "database.exclude"
	KeyTableInclude      = "table.include"
	KeyTableExclude      = "table.exclude"
	KeyServerID          = "server.id"
	KeyServerName        = "server.name"
	KeyFlavor            = "flavor"
	KeySnapshotMode      = "snapshot.mode"
	KeySnapshotFetchSize = "snapshot.fetch.size"
	KeyPollMaxRecords    = "poll.max.records"
	KeyTopicPrefix       = "topic.prefix"
	KeyTopicNaming       = "topic.naming"
	KeySkippedOps        = "skipped.operations"
	KeyIncludeQuery      = "include.query"
	KeyBinlogResume      = "binlog.resume"
	KeyHeartbeatPeriod   = "heartbeat.period"
	KeyHeartbeatTopic    = "heartbeat.topic"
	KeyReadTimeout       = "read.timeout"
	KeyConnectTimeout    = "connect.timeout"
	KeyTLSMode           = "tls.mode"
	KeyTLSCA             = "tls.ca"
	KeyTLSCert           = "tls.cert"
	KeyTLSKey            = "tls.key"
	KeyTLSServerName     = "tls.server.name"
	KeyTombstones        = "tombstones.on.delete"
	// Debezium's names: schema change events and transaction metadata
	// (see schemachanges.go and txmeta.go).
	KeyIncludeSchemaChanges = "include.schema.changes"
	KeySchemaChangesTopic   = "schema.changes.topic"
	KeyTransactionMetadata  = "provide.transaction.metadata"
	KeyTransactionTopic     = "topic.transaction"
)

// Snapshot modes.
const (
	SnapshotInitial    = "initial"     // snapshot when no position is stored, then stream
	SnapshotNever      = "never"       // stream from the current binlog position
	SnapshotWhenNeeded = "when_needed" // like initial, and snapshot again when the binlog to resume from was purged
)

// TLS modes, as MySQL's ssl-mode and Debezium's database.ssl.mode.
const (
	TLSDisabled       = "disabled"
	TLSRequired       = "required"        // encrypt, verify nothing
	TLSVerifyCA       = "verify_ca"       // and verify the certificate chain
	TLSVerifyIdentity = "verify_identity" // and the host name
)

func configSpec() connect.ConfigSpec {
	spec := connect.ConfigSpec{
		{Name: KeyHost, Required: true, Aliases: []string{"mysqlAddr"}, Validate: check.Host(KeyHost, KeyPort),
			Description: "Host name or IP address of the MySQL or MariaDB server (without the port)."},
		{Name: KeyPort, Type: connect.FieldInt, Default: "3306", Aliases: []string{"mysqlPort"}, Validate: check.IntRange(1, 65535),
			Description: "TCP port of the server."},
		{Name: KeyUser, Required: true, Aliases: []string{"mysqlUsername"},
			Description: "User to connect as; it needs SELECT, RELOAD (MySQL), REPLICATION SLAVE and REPLICATION CLIENT."},
		{Name: KeyPassword, Secret: true, Aliases: []string{"mysqlPassword"},
			Description: "Password of the user."},
		{Name: KeyDatabaseInclude, Type: connect.FieldList, Aliases: []string{"whiteDataBase"}, Validate: validDatabaseInclude,
			Description: "Comma-separated regular expressions matched against whole database names; only matching databases are captured (default: every database but the system ones). The seed's JSON form {\"db\":{\"table\":...}} is accepted too."},
		{Name: KeyDatabaseExclude, Type: connect.FieldList, Validate: validPatterns,
			Description: "Comma-separated regular expressions of database names not to capture."},
		{Name: KeyTableInclude, Type: connect.FieldList, Aliases: []string{"whiteTable"}, Validate: validPatterns,
			Description: "Comma-separated regular expressions matched against db.table; only matching tables are captured. A plain name (letters, digits, _ and $) matches that table in every captured database."},
		{Name: KeyTableExclude, Type: connect.FieldList, Validate: validPatterns,
			Description: "Comma-separated regular expressions of db.table names not to capture (plain names as in table.include)."},
		{Name: KeyServerID, Type: connect.FieldInt, Validate: check.IntRange(1, 1<<32-1),
			Description: "Replica server id the binlog reader registers with; unique among the server's replicas and readers. Default: derived from the connector name and task id."},
		{Name: KeyServerName, Validate: noSpace,
			Description: "Logical name of the server: the source.name of change events and the key of stored positions. Default: host:port. Keep it when the address changes, or the stored position is not found."},
		{Name: KeyFlavor, Default: "auto", Allowed: []string{"auto", "mysql", "mariadb"},
			Description: "Server flavor; auto detects it from the server version."},
		{Name: KeySnapshotMode, Default: SnapshotInitial, Allowed: []string{SnapshotInitial, SnapshotNever, SnapshotWhenNeeded},
			Description: "initial: read the captured tables once, then stream the binlog; never: stream from the current binlog position; when_needed: like initial, and snapshot again when the binlog to resume from was purged."},
		{Name: KeySnapshotFetchSize, Type: connect.FieldInt, Default: "10000", Validate: connect.IntAtLeast(1),
			Description: "Rows read per snapshot query (page)."},
		{Name: KeyPollMaxRecords, Type: connect.FieldInt, Default: "2048", Validate: connect.IntAtLeast(1),
			Description: "Most change events returned by one poll while streaming (a row event's rows are never split), and per part of a snapshot page returned while the page is read."},
		{Name: KeyTopicPrefix, Validate: noSpace,
			Description: "Prefix of every topic name, taken literally (include your own separator, e.g. \"dbserver1.\")."},
		{Name: KeyTopicNaming, Default: "table", Allowed: []string{"table", "database.table"},
			Description: "Topic of a table's events after the prefix: the table name (as in the seed) or db.table."},
		{Name: KeySkippedOps, Type: connect.FieldList, Default: "t", Validate: validOps,
			Description: "Operations not to emit: any of c, u, d, t (truncate), or none."},
		{Name: KeyTombstones, Type: connect.FieldBool, Default: "false",
			Description: "Follow each delete (also the delete of a primary key change) with a tombstone: a record with the deleted row's key and no value, as Debezium's tombstones.on.delete, so that a compacted topic can drop the row. Tables without a primary key get none."},
		{Name: KeyIncludeSchemaChanges, Type: connect.FieldBool, Default: "false",
			Description: "Emit a schema change event (Debezium's SchemaChangeKey and SchemaChangeValue: the DDL text and the table's new schema) for each CREATE, ALTER, RENAME or DROP of a captured table, and a CREATE event for each captured table at the start of a snapshot, on schema.changes.topic. Default false (true under Debezium's class)."},
		{Name: KeySchemaChangesTopic, Validate: noSpace,
			Description: "Topic of schema change events. Default: topic.prefix followed by schema_changes (under Debezium's class: topic.prefix itself, as Debezium)."},
		{Name: KeyTransactionMetadata, Type: connect.FieldBool, Default: "false",
			Description: "Give each streamed change event Debezium's transaction block (id, total_order, data_collection_order) and emit BEGIN and END events (Debezium's TransactionMetadataKey and TransactionMetadataValue) around each transaction with change events, on topic.prefix followed by topic.transaction."},
		{Name: KeyTransactionTopic, Default: "transaction", Validate: noSpace,
			Description: "Name of the transaction metadata topic after topic.prefix, as Debezium's topic.transaction (under Debezium's class the topic is <topic.prefix>.transaction by default)."},
		{Name: KeyIncludeQuery, Type: connect.FieldBool, Default: "false",
			Description: "Put the SQL statement of each change in source.query (needs binlog_annotate_row_events on MariaDB, binlog_rows_query_log_events on MySQL)."},
		{Name: KeyBinlogResume, Default: "position", Allowed: []string{"position", "gtid"},
			Description: "Resume the binlog from the stored file and position, or from the stored GTID set (survives a failover to another server of the same replication topology)."},
		{Name: KeyHeartbeatPeriod, Type: connect.FieldDuration, Default: "10s", Validate: check.PositiveDuration,
			Description: "How often an idle server sends a heartbeat on the binlog connection."},
		{Name: KeyHeartbeatTopic,
			Description: "When set, a heartbeat record carrying the current binlog position is emitted here at most every heartbeat.period while the captured tables are idle, so the stored position keeps up with the binlog."},
		{Name: KeyReadTimeout, Type: connect.FieldDuration, Default: "30s", Validate: check.PositiveDuration,
			Description: "A connection that delivers nothing for this long is dead: it is closed and opened again. Must exceed heartbeat.period."},
		{Name: KeyConnectTimeout, Type: connect.FieldDuration, Default: "10s", Validate: check.PositiveDuration,
			Description: "Time allowed to connect to the server."},
		{Name: KeyTLSMode, Default: TLSDisabled, Allowed: []string{TLSDisabled, TLSRequired, TLSVerifyCA, TLSVerifyIdentity},
			Description: "disabled; required: encrypt without verifying; verify_ca: also verify the certificate chain against tls.ca; verify_identity: also check the host name."},
		{Name: KeyTLSCA, Validate: readableFile,
			Description: "PEM file of the certificate authorities to verify the server with (default: the system's)."},
		{Name: KeyTLSCert, Validate: readableFile,
			Description: "PEM file of a client certificate, with tls.key."},
		{Name: KeyTLSKey, Validate: readableFile,
			Description: "PEM file of the client certificate's private key."},
		{Name: KeyTLSServerName, Validate: noSpace,
			Description: "Host name expected in the server certificate under verify_identity (default: host)."},
	}
	spec = append(spec, dbzmodes.Spec(dbzmodes.EncodingConnectGo)...)
	for i := range spec {
		spec[i].Aliases = append(spec[i].Aliases, debeziumAliases[spec[i].Name]...)
	}
	return spec
}

func noSpace(v string) error {
	if strings.ContainsAny(v, " \t\r\n") {
		return fmt.Errorf("must not contain spaces, got %q", v)
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

func validPatterns(v string) error {
	_, err := compilePatterns(connect.Config{"x": v}.List("x"), false)
	return err
}

func validDatabaseInclude(v string) error {
	if strings.HasPrefix(strings.TrimSpace(v), "{") {
		_, _, err := parseWhiteList(v)
		return err
	}
	return validPatterns(v)
}

func validOps(v string) error {
	for _, op := range (connect.Config{"x": v}).List("x") {
		switch op {
		case "c", "u", "d", "t", "none":
		default:
			return fmt.Errorf("must list operations c, u, d, t or none, got %q", op)
		}
	}
	return nil
}

// settings is a parsed, validated configuration.
type settings struct {
	host, addr     string
	port           int
	user, password string
	filter         *filter
	serverID       uint32 // 0: derive from the connector name
	serverName     string
	boxedName      any    // serverName, boxed once for every record's source block
	flavor         string // "", "mysql" or "mariadb"
	snapshotMode   string
	fetchSize      int
	maxBatch       int
	topicPrefix    string
	topicWithDB    bool
	skip           map[connect.Operation]bool
	includeQuery   bool
	tombstones     bool
	// schemaTopic is where schema change events go, "" when
	// include.schema.changes is off; txTopic is where transaction
	// metadata goes, "" when provide.transaction.metadata is off.
	schemaTopic    string
	txTopic        string
	resumeGTID     bool
	heartbeat      time.Duration
	heartbeatTopic string
	readTimeout    time.Duration
	connectTimeout time.Duration
	tls            *tls.Config
	tlsMode        string
	topics         topicOwners
	// modes maps rows to the value encodings chosen (value.encoding and
	// Debezium's mode settings); nil for connect-go's own, which leave
	// rows as they are decoded.
	modes *dbzmodes.Mapper
}

// parseSettings parses cfg, which has passed the spec's Validate and had
// its defaults applied; the cross-field rules are checked here and reported
// as a *connect.ConfigError.
func parseSettings(cfg connect.Config) (*settings, error) {
	cfg = configSpec().Apply(cfg)
	errs := &connect.ConfigError{}
	s := &settings{
		host:           strings.Trim(strings.TrimSpace(cfg.Get(KeyHost)), "[]"),
		port:           cfg.Int(KeyPort),
		user:           cfg.Get(KeyUser),
		password:       cfg.Get(KeyPassword),
		serverID:       uint32(cfg.Int64(KeyServerID)),
		serverName:     cfg.Get(KeyServerName),
		snapshotMode:   cfg.Get(KeySnapshotMode),
		fetchSize:      cfg.Int(KeySnapshotFetchSize),
		maxBatch:       cfg.Int(KeyPollMaxRecords),
		topicPrefix:    cfg.Get(KeyTopicPrefix),
		topicWithDB:    cfg.Get(KeyTopicNaming) == "database.table",
		includeQuery:   cfg.Bool(KeyIncludeQuery),
		tombstones:     cfg.Bool(KeyTombstones),
		resumeGTID:     cfg.Get(KeyBinlogResume) == "gtid",
		heartbeat:      cfg.Duration(KeyHeartbeatPeriod),
		heartbeatTopic: cfg.Get(KeyHeartbeatTopic),
		readTimeout:    cfg.Duration(KeyReadTimeout),
		connectTimeout: cfg.Duration(KeyConnectTimeout),
		tlsMode:        cfg.Get(KeyTLSMode),
	}
	s.addr = net.JoinHostPort(s.host, strconv.Itoa(s.port))
	if s.serverName == "" {
		s.serverName = s.addr
	}
	s.boxedName = s.serverName
	if cfg.Bool(KeyIncludeSchemaChanges) {
		s.schemaTopic = cfg.Get(KeySchemaChangesTopic)
		if s.schemaTopic == "" {
			s.schemaTopic = s.topicPrefix + "schema_changes"
		}
	}
	if cfg.Bool(KeyTransactionMetadata) {
		name := strings.TrimSpace(cfg.Get(KeyTransactionTopic))
		if name == "" {
			name = "transaction"
		}
		s.txTopic = s.topicPrefix + name
	}
	if f := cfg.Get(KeyFlavor); f != "auto" {
		s.flavor = f
	}
	s.skip = map[connect.Operation]bool{}
	for _, op := range cfg.List(KeySkippedOps) {
		if op != "none" {
			s.skip[connect.Operation(op)] = true
		}
	}
	unsupportedDebezium(cfg, errs)
	if modes, err := dbzmodes.Parse(cfg, dbzmodes.EncodingConnectGo); err != nil {
		var ce *connect.ConfigError
		if errors.As(err, &ce) {
			errs.Fields = append(errs.Fields, ce.Fields...)
		}
	} else if !modes.Identity() {
		s.modes = dbzmodes.NewMapper(modes, 0)
	}
	if s.readTimeout <= s.heartbeat {
		errs.Add(KeyReadTimeout, "must exceed %s (%s), or an idle connection looks dead", KeyHeartbeatPeriod, s.heartbeat)
	}
	var err error
	if s.filter, err = newFilter(cfg); err != nil {
		var ce *connect.ConfigError
		if errors.As(err, &ce) {
			errs.Fields = append(errs.Fields, ce.Fields...)
		} else {
			errs.Add(KeyTableInclude, "%v", err)
		}
	}
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

// tlsConfig builds the TLS configuration of the tls.* settings, nil when
// disabled.
func tlsConfig(cfg connect.Config, host string) (*tls.Config, error) {
	errs := &connect.ConfigError{}
	mode := cfg.Get(KeyTLSMode)
	ca, cert, key := cfg.Get(KeyTLSCA), cfg.Get(KeyTLSCert), cfg.Get(KeyTLSKey)
	if mode == TLSDisabled || mode == "" {
		for _, k := range []string{KeyTLSCA, KeyTLSCert, KeyTLSKey, KeyTLSServerName} {
			if cfg.Get(k) != "" {
				errs.Add(k, "is set but %s is %s", KeyTLSMode, TLSDisabled)
			}
		}
		return nil, errs.Err()
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if (cert == "") != (key == "") {
		errs.Add(KeyTLSCert, "%s and %s go together", KeyTLSCert, KeyTLSKey)
	} else if cert != "" {
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			errs.Add(KeyTLSCert, "cannot load the client certificate and key: %v", err)
		} else {
			tc.Certificates = []tls.Certificate{pair}
		}
	}
	var pool *x509.CertPool
	if ca != "" {
		pem, err := os.ReadFile(ca)
		pool = x509.NewCertPool()
		if err != nil || !pool.AppendCertsFromPEM(pem) {
			errs.Add(KeyTLSCA, "holds no PEM certificate")
		}
	}
	switch mode {
	case TLSRequired:
		tc.InsecureSkipVerify = true
	case TLSVerifyCA:
		if pool == nil {
			errs.Add(KeyTLSCA, "is required with %s=%s", KeyTLSMode, TLSVerifyCA)
			break
		}
		// Verify the chain but not the name: crypto/tls can only do that
		// by hand.
		tc.InsecureSkipVerify = true
		tc.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
			certs := make([]*x509.Certificate, len(raw))
			for i, r := range raw {
				c, err := x509.ParseCertificate(r)
				if err != nil {
					return err
				}
				certs[i] = c
			}
			if len(certs) == 0 {
				return errors.New("mysqlsource: the server sent no certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range certs[1:] {
				inter.AddCert(c)
			}
			_, err := certs[0].Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter})
			return err
		}
	case TLSVerifyIdentity:
		tc.RootCAs = pool
		tc.ServerName = host
		if n := cfg.Get(KeyTLSServerName); n != "" {
			tc.ServerName = n
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return tc, nil
}

// defaultServerID derives a replica server id from the connector name and
// task id: stable across restarts (a reader registering again replaces its
// old registration) and unlikely to collide with real replicas, which
// usually have small ids.
func defaultServerID(connector string, task int) uint32 {
	h := fnv.New32a()
	fmt.Fprintf(h, "%s/%d", connector, task)
	return 1<<30 + h.Sum32()%(1<<30)
}
