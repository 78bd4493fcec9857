package mysqlsource

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/mysql"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/internal/check"
)

// Server error codes the source reacts to.
const (
	errUnknownSysVar = 1193 // ER_UNKNOWN_SYSTEM_VARIABLE
	errBinlogRead    = 1236 // ER_MASTER_FATAL_ERROR_READING_BINLOG: purged binlog, unknown GTID
)

// fatalCodes are server errors that trying again cannot fix: refused
// credentials, missing privileges, SQL the server does not understand.
// Every other failure (lost connections, a server shutting down, killed
// queries, a table altered under the snapshot) is retriable.
var fatalCodes = []uint16{
	1044, // ER_DBACCESS_DENIED_ERROR
	1045, // ER_ACCESS_DENIED_ERROR
	1142, // ER_TABLEACCESS_DENIED_ERROR
	1143, // ER_COLUMNACCESS_DENIED_ERROR
	1227, // ER_SPECIFIC_ACCESS_DENIED_ERROR
	1064, // ER_PARSE_ERROR
	1054, // ER_BAD_FIELD_ERROR
}

// serverError returns the server's error inside err, or nil.
func serverError(err error) *mysql.MyError {
	var me *mysql.MyError
	if errors.As(err, &me) {
		return me
	}
	return nil
}

func hasCode(err error, codes ...uint16) bool {
	if me := serverError(err); me != nil {
		for _, c := range codes {
			if me.Code == c {
				return true
			}
		}
	}
	return false
}

// fail wraps err as "mysqlsource: WHAT on HOST:PORT: cause" and marks it:
// lost connections and server restarts are retriable, refused credentials,
// missing privileges and a server certificate that fails verification
// fatal. The password never appears: go-mysql does
// not put it in errors, and it is scrubbed should a server echo it.
func (s *settings) fail(what string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	e := error(&sourceError{msg: fmt.Sprintf("mysqlsource: %s on %s: %s", what, s.addr, s.redact(err.Error())), cause: err})
	if hasCode(err, fatalCodes...) || check.IsCertificateError(err) {
		return connect.Fatal(e)
	}
	return connect.Retriable(e)
}

// redact hides the password should it appear in msg. Short passwords are
// left alone: they would mangle ordinary words, and go-mysql never puts the
// password in its errors anyway.
func (s *settings) redact(msg string) string {
	if len(s.password) >= 8 {
		msg = strings.ReplaceAll(msg, s.password, connect.Masked)
	}
	return msg
}

// sourceError carries a message that names the server, over the original
// error (for errors.Is and errors.As).
type sourceError struct {
	msg   string
	cause error
}

func (e *sourceError) Error() string { return e.msg }
func (e *sourceError) Unwrap() error { return e.cause }

// dial opens a query connection: results in utf8mb4, times in UTC. A done
// ctx interrupts it.
func (s *settings) dial(ctx context.Context) (*client.Conn, error) { return s.dialConn(ctx, true) }

// dialOwnDeadlines is dial for a caller that sets the read deadline
// itself (SetReadDeadline) before what it reads: go-mysql's deadline per
// packet is a system call per row read, a tenth of the CPU of a snapshot.
// Connecting and setting up the session are given connect.timeout plus
// read.timeout.
func (s *settings) dialOwnDeadlines(ctx context.Context) (*client.Conn, error) {
	return s.dialConn(ctx, false)
}

func (s *settings) dialConn(ctx context.Context, perPacket bool) (*client.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, s.connectTimeout)
	defer cancel()
	d := &net.Dialer{Timeout: s.connectTimeout}
	dialer := d.DialContext
	if !perPacket {
		dialer = func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			if err := c.SetReadDeadline(time.Now().Add(s.connectTimeout + s.readTimeout)); err != nil {
				c.Close()
				return nil, err
			}
			return c, nil
		}
	}
	conn, err := client.ConnectWithDialer(dctx, "tcp", s.addr, s.user, s.password, "", dialer,
		func(c *client.Conn) error {
			if s.tls != nil {
				c.SetTLSConfig(s.tls)
			}
			// Handshake and every later read and write get a deadline,
			// so a dead server surfaces as an error.
			if perPacket {
				c.ReadTimeout = s.readTimeout
			}
			c.WriteTimeout = s.readTimeout
			return nil
		})
	if err != nil {
		return nil, s.fail("connect as "+s.user, err)
	}
	for _, q := range []string{"SET NAMES utf8mb4", "SET time_zone = '+00:00'"} {
		if _, err := conn.Execute(q); err != nil {
			conn.Close()
			return nil, s.fail("set up the session", err)
		}
	}
	return conn, nil
}

// query runs q and returns its rows as strings ("" for NULL).
func query(conn *client.Conn, q string, args ...any) ([][]string, error) {
	res, err := conn.Execute(q, args...)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	if res.Resultset == nil {
		return nil, nil
	}
	out := make([][]string, len(res.Values))
	for i := range res.Values {
		row := make([]string, len(res.Values[i]))
		for j := range row {
			// GetString may alias a buffer res.Close gives back.
			v, _ := res.GetString(i, j)
			row[j] = strings.Clone(v)
		}
		out[i] = row
	}
	return out, nil
}

// serverInfo is what the source needs to know about the server.
type serverInfo struct {
	version      string
	flavor       string // mysql.MySQLFlavor or mysql.MariaDBFlavor
	fullMetadata bool   // binlog_row_metadata=FULL: table maps carry the schema
}

func (i serverInfo) mariadb() bool { return i.flavor == mysql.MariaDBFlavor }

// atLeast reports whether the server version is at least major.minor.
func (i serverInfo) atLeast(major, minor int) bool {
	parts := strings.SplitN(i.version, ".", 3)
	if len(parts) < 2 {
		return false
	}
	ma, _ := strconv.Atoi(parts[0])
	mi, _ := strconv.Atoi(strings.TrimFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' }))
	return ma > major || ma == major && mi >= minor
}

// inspect checks that the server writes a binlog the source can read:
// log_bin on, binlog_format=ROW and binlog_row_image=FULL. Anything else is
// a fatal error naming the setting to change.
func (s *settings) inspect(conn *client.Conn) (serverInfo, error) {
	info := serverInfo{version: conn.GetServerVersion(), flavor: s.flavor}
	if info.flavor == "" {
		info.flavor = mysql.MySQLFlavor
		if strings.Contains(strings.ToLower(info.version), "mariadb") {
			info.flavor = mysql.MariaDBFlavor
		}
	}
	rows, err := query(conn, "SELECT @@log_bin, @@binlog_format, @@binlog_row_image")
	if err != nil {
		return info, s.fail("read the binlog settings", err)
	}
	if len(rows) == 1 {
		logBin, format, image := rows[0][0], strings.ToUpper(rows[0][1]), strings.ToUpper(rows[0][2])
		switch {
		case logBin != "1" && !strings.EqualFold(logBin, "ON"):
			return info, connect.Fatal(fmt.Errorf("mysqlsource: the binary log is off on %s: start the server with log_bin", s.addr))
		case format != "ROW":
			return info, connect.Fatal(fmt.Errorf("mysqlsource: binlog_format is %s on %s: set it to ROW", format, s.addr))
		case image != "FULL":
			return info, connect.Fatal(fmt.Errorf("mysqlsource: binlog_row_image is %s on %s: set it to FULL", image, s.addr))
		}
	}
	rows, err = query(conn, "SELECT @@binlog_row_metadata")
	switch {
	case err == nil && len(rows) == 1:
		info.fullMetadata = strings.EqualFold(rows[0][0], "FULL")
	case err != nil && !hasCode(err, errUnknownSysVar):
		return info, s.fail("read binlog_row_metadata", err)
	}
	return info, nil
}

// binlogFiles lists the binlog files the server still has.
func binlogFiles(conn *client.Conn) ([]string, error) {
	rows, err := query(conn, "SHOW BINARY LOGS")
	if err != nil {
		return nil, err
	}
	files := make([]string, len(rows))
	for i, r := range rows {
		files[i] = r[0]
	}
	return files, nil
}

// binlogStatus returns the server's current binlog file and position and,
// for MySQL, its executed GTID set.
func binlogStatus(conn *client.Conn) (file string, pos uint32, gtids string, err error) {
	rows, err := query(conn, "SHOW MASTER STATUS")
	if err != nil {
		// MySQL 8.4 renamed it.
		rows, err = query(conn, "SHOW BINARY LOG STATUS")
	}
	if err != nil {
		return "", 0, "", err
	}
	if len(rows) == 0 || rows[0][0] == "" {
		return "", 0, "", errors.New("the server reports no binary log status: is log_bin on?")
	}
	p, _ := strconv.ParseUint(rows[0][1], 10, 32)
	if len(rows[0]) > 4 {
		gtids = strings.ReplaceAll(rows[0][4], "\n", "")
	}
	return rows[0][0], uint32(p), gtids, nil
}

// mariadbGTIDPos returns MariaDB's GTID position at a binlog coordinate.
func mariadbGTIDPos(conn *client.Conn, file string, pos uint32) (string, error) {
	rows, err := query(conn, "SELECT BINLOG_GTID_POS(?, ?)", file, uint64(pos))
	if err != nil || len(rows) == 0 {
		return "", err
	}
	return rows[0][0], nil
}

// quoteName quotes an identifier with backticks.
func quoteName(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}
