package mysqlsink

import (
	"context"
	"database/sql"
	"math"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/openmessaging/connect-go/internal/testenv"
)

// TestLiteralsAsTheDriverWrites checks that the values writer.arg writes
// into a statement's text read back as the same values go-sql-driver's
// interpolation of a placeholder gives, on a connection set up as the
// task's, and that literals and placeholders mix in one statement.
func TestLiteralsAsTheDriverWrites(t *testing.T) {
	srv := testenv.MySQL(t)
	cfg := mysql.NewConfig()
	cfg.Net, cfg.Addr, cfg.User, cfg.Passwd = "tcp", net.JoinHostPort(srv.Host, srv.Port), srv.User, srv.Password
	cfg.InterpolateParams = true
	cfg.Loc = time.UTC
	cfg.Params = sessionParams(&settings{})
	cfg.Logger = &mysql.NopLogger{}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	berlin := time.FixedZone("CET", 3600)
	values := []any{
		nil, int64(0), int64(-1), int64(math.MinInt64), int64(math.MaxInt64), uint64(math.MaxUint64),
		"", "plain", "a?b", "x -- y # z /* w", "`tick`", "é 🙂 \t tab", "it's", `say "hi"`, `back\slash`, "nul\x00", "lf\ncr\r", "sub\x1a",
		time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(2024, 2, 29, 23, 59, 59, 0, time.UTC), time.Date(2024, 2, 29, 23, 59, 59, 120000000, time.UTC),
		time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2024, 1, 1, 0, 30, 0, 0, berlin), time.Date(2024, 6, 1, 12, 0, 0, 500, berlin),
		[]byte("bytes"), 1.5, true,
	}
	ctx := context.Background()
	read := func(q string, args ...any) []string {
		t.Helper()
		var s sql.NullString
		if err := db.QueryRowContext(ctx, q, args...).Scan(&s); err != nil {
			t.Fatalf("%s %v: %v", q, args, err)
		}
		if !s.Valid {
			return []string{"NULL"}
		}
		return []string{s.String}
	}
	var w writer
	var all []string
	for _, v := range values {
		want := read("SELECT ?", v)
		w.buf.Reset()
		w.args = w.args[:0]
		w.arg(v)
		got := read("SELECT "+w.buf.String(), w.args...)
		if !slices.Equal(got, want) {
			t.Errorf("%#v: written as %s, reads %q; the driver's reads %q", v, w.buf.String(), got, want)
		}
		all = append(all, want[0])
	}
	// All in one statement, literals among placeholders.
	w.buf.Reset()
	w.args = w.args[:0]
	w.buf.WriteString("SELECT CONCAT_WS('|'")
	for _, v := range values {
		w.buf.WriteByte(',')
		w.arg(v)
	}
	w.buf.WriteString(")")
	var nonNull []string
	for _, s := range all {
		if s != "NULL" {
			nonNull = append(nonNull, s) // CONCAT_WS skips NULLs
		}
	}
	if got := read(w.buf.String(), w.args...); got[0] != strings.Join(nonNull, "|") {
		t.Errorf("in one statement: %q, want %q", got[0], strings.Join(nonNull, "|"))
	}
	if len(w.args) == len(values) || len(w.args) == 0 {
		t.Errorf("%d of %d values went as placeholders", len(w.args), len(values))
	}
}
