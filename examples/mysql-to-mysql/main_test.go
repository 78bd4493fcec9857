package main

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/openmessaging/connect-go/internal/testenv"
)

// The replication of the example: a snapshot, then inserts, updates,
// deletes, a primary key change and a multi-row transaction over many
// column types; the copy ends equal row by row and by CHECKSUM TABLE.
func TestReplicates(t *testing.T) {
	v := testenv.Lookup(t, "MariaDB", "mysql", "MYSQL_ADDR", "MYSQL_USER")
	srv := server{addr: v[0], user: v[1], password: os.Getenv("MYSQL_PASSWORD")}
	db, err := openDB(srv)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	suffix := fmt.Sprintf("%06x", rand.Uint32()&0xffffff)
	from, to := "cgx_m2m_a_"+suffix, "cgx_m2m_b_"+suffix
	exec := func(stmts ...string) {
		t.Helper()
		for _, s := range stmts {
			if _, err := db.Exec(s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
	}
	exec("CREATE DATABASE "+from, "CREATE DATABASE "+to)
	defer db.Exec("DROP DATABASE IF EXISTS " + from)
	defer db.Exec("DROP DATABASE IF EXISTS " + to)
	exec(fmt.Sprintf(`CREATE TABLE %s.items (id INT PRIMARY KEY, name VARCHAR(40), price DECIMAL(12,3), at DATETIME(6), ts TIMESTAMP(3) NULL,
		doc JSON, bin VARBINARY(16), u BIGINT UNSIGNED, b BIT(5), e ENUM('x','y'), tm TIME(6), y YEAR, f FLOAT, d DOUBLE, txt TEXT)`, from),
		fmt.Sprintf("CREATE TABLE %s.pairs (a INT, b VARCHAR(10), v MEDIUMINT UNSIGNED, PRIMARY KEY (a, b))", from))
	insert := func(id int) string {
		return fmt.Sprintf(`INSERT INTO %s.items VALUES (%d, 'item %d', %d.125, '2024-01-02 03:04:05.%06d', '2030-01-01 00:00:00.5',
			'{"k": [%d, null]}', x'00ff%02x', 18446744073709551615, b'10101', 'y', '-12:34:56.000001', 2000, 1.5, 2.25, 'héllo')`,
			from, id, id, id, id, id, id%256)
	}
	for i := range 50 {
		exec(insert(i))
	}
	exec(fmt.Sprintf("INSERT INTO %s.pairs VALUES (1, 'a', 16777215), (2, 'b', 0)", from))

	ctx, cancel := context.WithCancel(context.Background())
	reports := make(chan string, 100)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, options{source: srv, target: srv, from: from, to: to,
			offsets: filepath.Join(t.TempDir(), "offsets.json"), delivery: "exactly_once", report: 200 * time.Millisecond,
			reportTo: func(s string) {
				select {
				case reports <- s:
				default:
				}
			}, connectorSuffix: "-" + suffix, createTargetTables: true, sourceTopicPrefix: from + "_"})
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil && ctx.Err() == nil {
			t.Errorf("run: %v", err)
		}
	}()

	// Changes while it runs.
	for i := 50; i < 80; i++ {
		exec(insert(i))
	}
	exec(fmt.Sprintf("UPDATE %s.items SET name = 'renamed', price = price * 2, doc = NULL WHERE id %% 7 = 0", from),
		fmt.Sprintf("DELETE FROM %s.items WHERE id %% 5 = 1", from),
		fmt.Sprintf("UPDATE %s.items SET id = id + 1000 WHERE id = 2", from), // a primary key change
		fmt.Sprintf("UPDATE %s.pairs SET b = 'c' WHERE a = 1", from))
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		fmt.Sprintf("INSERT INTO %s.pairs VALUES (3, 'x', 7), (4, 'y', 8)", from),
		fmt.Sprintf("UPDATE %s.items SET u = 0, b = b'0', e = 'x' WHERE id < 20", from),
		fmt.Sprintf("DELETE FROM %s.pairs WHERE a = 2", from),
	} {
		if _, err := tx.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	deadline := time.Now().Add(2 * time.Minute)
	var last string
	for time.Now().Before(deadline) {
		select {
		case last = <-reports:
		case err := <-done:
			done <- err
			t.Fatalf("run ended: %v", err)
		}
		if strings.Count(last, " equal ") == 2 && equalRows(t, db, from, to, "items", "id") && equalRows(t, db, from, to, "pairs", "a, b") {
			var n int
			db.QueryRow("SELECT COUNT(*) FROM " + to + ".items").Scan(&n)
			t.Logf("equal: %s; %d rows in %s.items", last, n, to)
			return
		}
	}
	t.Fatalf("not equal after 2 minutes: %s", last)
}

// equalRows compares a table of two databases row by row.
func equalRows(t *testing.T, db *sql.DB, from, to, table, order string) bool {
	read := func(database string) [][]string {
		rows, err := db.Query(fmt.Sprintf("SELECT * FROM %s.%s ORDER BY %s", database, table, order))
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		var out [][]string
		for rows.Next() {
			vals := make([]sql.NullString, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			r := make([]string, len(cols))
			for i, v := range vals {
				r[i] = fmt.Sprintf("%v:%q", v.Valid, v.String)
			}
			out = append(out, r)
		}
		return out
	}
	return reflect.DeepEqual(read(from), read(to))
}
