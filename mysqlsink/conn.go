package mysqlsink

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/internal/check"
)

// sessionParams are set on every connection: times are written in UTC
// (a TIMESTAMP's instant and a DATETIME's wall clock as the records carry
// them); strict mode makes a value that does not fit an error instead of a
// silent truncation, except for zero and invalid dates (0000-00-00,
// 2024-00-10, 2023-02-30: ALLOW_INVALID_DATES, and no NO_ZERO_DATE or
// NO_ZERO_IN_DATE), which a source server under a relaxed sql_mode stores
// and a replica must hold too; a zero in an AUTO_INCREMENT column stays
// zero, as in the source row; lock waits are bounded, so that a locked
// table is reported (and retried) instead of hanging the task.
func sessionParams(s *settings) map[string]string {
	lock := strconv.Itoa(int(s.lockTimeout / time.Second))
	return map[string]string{
		"time_zone":                "'+00:00'",
		"sql_mode":                 "'STRICT_ALL_TABLES,ALLOW_INVALID_DATES,NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION'",
		"lock_wait_timeout":        lock,
		"innodb_lock_wait_timeout": lock,
	}
}

// open returns a connection pool to the server of s, checked with a ping.
// Errors name the address and the cause, never the password.
func open(ctx context.Context, s *settings, log *slog.Logger) (*sql.DB, error) {
	cfg := mysql.NewConfig()
	cfg.Net = "tcp"
	cfg.Addr = s.addr
	cfg.User = s.user
	cfg.Passwd = s.password
	cfg.Timeout = s.connectTimeout
	cfg.InterpolateParams = true // one round trip per statement, no placeholder limit
	cfg.MultiStatements = true   // the transaction begins with the locking read, commits with the offsets
	cfg.Loc = time.UTC
	cfg.Params = sessionParams(s)
	cfg.DBName = s.database // also names the sink's connections in the process list
	cfg.TLS = s.tls
	cfg.Logger = driverLogger{log}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, connect.Fatal(fmt.Errorf("mysqlsink: connect to %s: %v", s.addr, scrub(err, s.password)))
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(2)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, s.connectTimeout)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		err = fmt.Errorf("mysqlsink: connect to %s as %s: %w", s.addr, s.user, scrubErr(err, s.password))
		switch {
		case check.IsCertificateError(err):
			return nil, connect.Fatal(err)
		case code(err) == errAccessDenied:
			return nil, err
		}
		return nil, connect.Retriable(err)
	}
	return db, nil
}

// driverLogger routes the driver's messages (a connection that broke) into
// the task's logger.
type driverLogger struct{ log *slog.Logger }

func (l driverLogger) Print(v ...any) {
	l.log.Debug(strings.TrimSpace(fmt.Sprint(v...)), "component", "go-sql-driver")
}

// scrub removes the password from an error text.
func scrub(err error, password string) string {
	msg := err.Error()
	if len(password) >= 3 {
		msg = strings.ReplaceAll(msg, password, connect.Masked)
	}
	return msg
}

// scrubErr returns err with the password removed from its text; errors.Is
// and As still see the cause (a network error stays retriable).
func scrubErr(err error, password string) error {
	if len(password) >= 3 && strings.Contains(err.Error(), password) {
		return &scrubbedError{msg: scrub(err, password), err: err}
	}
	return err
}

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// Server error numbers the sink tells apart.
const (
	errAccessDenied  = 1045
	errDupFieldName  = 1060
	errBadField      = 1054
	errNoSuchTable   = 1146
	errLockWait      = 1205
	errDeadlock      = 1213
	errServerGone    = 2006
	errServerLost    = 2013
	errConnKilled    = 1927
	errShutdown      = 1053
	errQueryInterupt = 1317
)

// retriableCodes fail a statement for reasons of the moment: locks,
// connections, a server going away or read-only for a while, resources.
var retriableCodes = map[uint16]bool{
	errLockWait: true, errDeadlock: true, errServerGone: true, errServerLost: true,
	errConnKilled: true, errShutdown: true, errQueryInterupt: true,
	1040: true, 1041: true, 1037: true, 1038: true, 1021: true, 1114: true, // connections, memory, disk
	1152: true, 1153: true, 1158: true, 1159: true, 1160: true, 1161: true, // network
	1180: true, 1181: true, 1203: true, 1226: true, 1290: true, 1836: true, 1792: true, // commit, limits, read-only
	1969: true, 3024: true, 4031: true, // statement timeouts, idle disconnect
}

// dataCodes are failures of a row's values against the table: the record
// is at fault, not the moment.
var dataCodes = map[uint16]bool{
	1048: true, 1062: true, 1586: true, 1263: true, 1264: true, 1265: true, 1292: true, 1366: true,
	1367: true, 1406: true, 1411: true, 1416: true, 1451: true, 1452: true, 1216: true, 1217: true,
	1690: true, 4025: true, 3819: true, 3140: true, 1300: true, 1364: true, 1138: true, 1221: true,
	1241: true, 1242: true, 1291: true, 1918: true, 4078: true,
}

// code returns the server error number in err, 0 when there is none.
func code(err error) uint16 {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}

// isConnErr reports whether err is a broken connection or a network error.
func isConnErr(err error) bool {
	var ne net.Error
	return errors.Is(err, mysql.ErrInvalidConn) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, sql.ErrConnDone) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE) ||
		errors.As(err, &ne)
}

// isDataErr reports whether err is a row's fault.
func isDataErr(err error) bool { return dataCodes[code(err)] }

// classify marks err retriable when trying again later may succeed.
func classify(err error) error {
	if err == nil {
		return nil
	}
	if check.IsCertificateError(err) {
		return connect.Fatal(err)
	}
	c := code(err)
	if retriableCodes[c] || c == 0 && (isConnErr(err) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || errors.Is(err, sql.ErrTxDone)) {
		return connect.Retriable(err)
	}
	return err
}
