package mysqlsource_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
)

// services runs scripts/services.sh with args.
func services(args ...string) error {
	script, err := filepath.Abs(filepath.Join("..", "scripts", "services.sh"))
	if err != nil {
		return err
	}
	out, err := exec.Command(script, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("services.sh %v: %v\n%s", args, err, out)
	}
	return nil
}

// restartServer restarts MariaDB in the background; the channel gets the
// outcome. Whatever happens, the test leaves MariaDB running.
func restartServer(t *testing.T) <-chan error {
	if _, err := os.Stat(filepath.Join("..", "scripts", "services.sh")); err != nil {
		t.Skip("scripts/services.sh not found")
	}
	t.Cleanup(func() {
		if err := services("up", "mysql"); err != nil {
			t.Error(err)
		}
	})
	done := make(chan error, 1)
	go func() { done <- services("restart", "mysql") }()
	return done
}

// TestServerRestart restarts MariaDB while rows are written and streamed:
// the task reconnects by itself (Poll returns retriable errors meanwhile)
// and nothing is lost.
func TestServerRestart(t *testing.T) {
	db := newTestDB(t)
	db.exec("CREATE TABLE t (id INT PRIMARY KEY, v INT NOT NULL)")
	r := startRun(t, db.config(), nil)
	r.pollUntil(30*time.Second, "streaming", streaming(r))

	const rows = 300
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 1; i <= rows; i++ {
			// Idempotent: a statement cut by the restart is sent again.
			db.exec(fmt.Sprintf("INSERT INTO t VALUES (%d, %d) ON DUPLICATE KEY UPDATE v = %d", i, i, i))
			time.Sleep(5 * time.Millisecond)
		}
	})
	r.pollUntil(30*time.Second, "some rows", func(recs []*connect.Record) bool { return len(recs) >= 30 })
	restarted := restartServer(t)
	// Keep polling through the restart, as the runtime would.
	deadline := time.Now().Add(2 * time.Minute)
	for done := false; !done; {
		select {
		case err := <-restarted:
			if err != nil {
				t.Fatal(err)
			}
			done = true
		default:
			if time.Now().After(deadline) {
				t.Fatal("MariaDB did not restart within 2 minutes")
			}
			r.poll(200 * time.Millisecond)
		}
	}
	wg.Wait()
	db.exec("INSERT INTO t VALUES (-1, 0)")
	r.pollUntil(time.Minute, "the sentinel after the restart", hasRecord("t", isSentinel(-1)))
	got := replay("t", r.recs)
	if len(got) != rows+1 {
		t.Errorf("replay has %d rows, want %d", len(got), rows+1)
	}
	checkReplay(t, db, "t", got)
}

// TestServerRestartMidSnapshot restarts MariaDB while the snapshot reads:
// the snapshot goes on after the last row read, in a new transaction, and
// the replay gives the table.
func TestServerRestartMidSnapshot(t *testing.T) {
	db := newTestDB(t)
	db.exec("CREATE TABLE t (id INT PRIMARY KEY, v INT NOT NULL)")
	insertRange(db, "t", 1, 20000)
	// Pages are handed out in parts while they are read (poll.max.records
	// below the fetch size), so the restart can cut a page in the middle.
	r := startRun(t, db.config("snapshot.fetch.size", "200", "poll.max.records", "50"), nil)
	r.pollUntil(30*time.Second, "some snapshot rows", func(recs []*connect.Record) bool { return len(recs) >= 1000 })
	restarted := restartServer(t)
	// Poll slowly, so that the restart comes while the snapshot runs.
	for done := false; !done; {
		select {
		case err := <-restarted:
			if err != nil {
				t.Fatal(err)
			}
			done = true
		default:
			r.poll(200 * time.Millisecond)
			time.Sleep(30 * time.Millisecond)
		}
	}
	if r.tc.Progress()["phase"] != "snapshot" {
		t.Log("the snapshot ended before the restart: this run checks a restart while streaming")
	}
	db.exec("UPDATE t SET v = -v WHERE id % 100 = 0", "DELETE FROM t WHERE id % 333 = 0", "INSERT INTO t VALUES (-1, 0)")
	r.pollUntil(time.Minute, "the sentinel after the restart", hasRecord("t", isSentinel(-1)))
	reads := ops(r.recs)[connect.OpRead]
	t.Logf("%d snapshot reads for 20000 rows", reads)
	if reads > 25000 {
		t.Errorf("%d snapshot reads for 20000 rows: the snapshot started over instead of going on", reads)
	}
	checkReplay(t, db, "t", replay("t", r.recs))
}

// TestReconnectMidTransaction kills the binlog connection while a large
// transaction streams: the task reconnects at the transaction's start and
// skips exactly the rows it already returned.
func TestReconnectMidTransaction(t *testing.T) {
	db := newTestDB(t)
	db.exec("CREATE TABLE t (id INT PRIMARY KEY, v INT NOT NULL)")
	cfg := db.config("poll.max.records", "10")
	r := startRun(t, cfg, nil)
	r.pollUntil(30*time.Second, "streaming", streaming(r))
	db.exec("BEGIN")
	for i := 0; i < 50; i++ {
		db.exec(fmt.Sprintf("INSERT INTO t VALUES (%d, 0)", i+1)) // one row event each
	}
	insertRange(db, "t", 51, 5000)
	db.exec("COMMIT")
	r.pollUntil(30*time.Second, "some rows", func(recs []*connect.Record) bool { return len(recs) >= 30 })
	killed := 0
	for _, row := range db.rows("SELECT ID, COMMAND, USER FROM information_schema.PROCESSLIST") {
		if strings.HasPrefix(row[1], "Binlog Dump") && row[2] == db.srv.user {
			db.exec("KILL " + row[0])
			killed++
		}
	}
	if killed == 0 {
		t.Fatal("no binlog dump connection found to kill")
	}
	db.exec("INSERT INTO t VALUES (-1, 0)")
	r.pollUntil(time.Minute, "the sentinel", hasRecord("t", isSentinel(-1)))
	seen := map[any]int{}
	for _, rec := range r.recs {
		seen[keyID(rec)]++
	}
	for id := 1; id <= 5000; id++ {
		if seen[int64(id)] != 1 {
			t.Fatalf("row %d emitted %d times, want once (killed %d connections)", id, seen[int64(id)], killed)
		}
	}
	checkReplay(t, db, "t", replay("t", r.recs))
}
