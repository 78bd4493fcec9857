package mysqlsource_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/offset"
)

// insertRange inserts rows id from..to with v = id, in multi-row inserts.
func insertRange(db *testDB, table string, from, to int) {
	var vals []string
	flush := func() {
		if len(vals) > 0 {
			db.exec("INSERT INTO " + table + " (id, v) VALUES " + strings.Join(vals, ","))
			vals = vals[:0]
		}
	}
	for id := from; id <= to; id++ {
		vals = append(vals, fmt.Sprintf("(%d,%d)", id, id))
		if len(vals) == 1000 {
			flush()
		}
	}
	flush()
}

func isSentinel(id int64) func(*connect.Record) bool {
	return func(r *connect.Record) bool { return keyID(r) == id && r.Change.Op == connect.OpCreate }
}

func streaming(r *run) func([]*connect.Record) bool {
	return func([]*connect.Record) bool { return r.tc.Progress()["phase"] == "streaming" }
}

// TestSnapshotWithConcurrentWrites writes, updates and deletes rows while
// the snapshot reads the table: replaying the events gives the table.
func TestSnapshotWithConcurrentWrites(t *testing.T) {
	db := newTestDB(t)
	db.exec("CREATE TABLE t (id INT PRIMARY KEY, v INT NOT NULL)")
	insertRange(db, "t", 1, 20000)

	r := startRun(t, db.config("snapshot.fetch.size", "500"), nil)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	writes := 0
	wg.Go(func() {
		rng := rand.New(rand.NewPCG(1, 2))
		next := 20001
		for {
			select {
			case <-stop:
				return
			default:
			}
			switch rng.IntN(3) {
			case 0:
				db.exec(fmt.Sprintf("INSERT INTO t VALUES (%d, %d), (%d, %d)", next, next, next+1, next+1))
				next += 2
			case 1:
				id := 1 + rng.IntN(next)
				db.exec(fmt.Sprintf("UPDATE t SET v = v + 1000000 WHERE id BETWEEN %d AND %d", id, id+5))
			case 2:
				id := 1 + rng.IntN(next)
				db.exec(fmt.Sprintf("DELETE FROM t WHERE id IN (%d, %d)", id, id+7))
			}
			writes++
		}
	})
	// Poll at a pace that lets the writer work while the snapshot runs.
	r.pollUntil(2*time.Minute, "the end of the snapshot", func(recs []*connect.Record) bool {
		time.Sleep(2 * time.Millisecond)
		return streaming(r)(recs)
	})
	close(stop)
	wg.Wait()
	db.exec("INSERT INTO t VALUES (-1, 0)")
	r.pollUntil(time.Minute, "the sentinel row", hasRecord("t", isSentinel(-1)))
	n := ops(r.recs)
	t.Logf("%d writes during the snapshot; events: %v", writes, n)
	if n[connect.OpRead] == 0 || n[connect.OpCreate]+n[connect.OpUpdate]+n[connect.OpDelete] < 2 {
		t.Errorf("want snapshot reads and changes, got %v", n)
	}
	if writes < 10 {
		t.Errorf("only %d writes ran during the snapshot", writes)
	}
	checkReplay(t, db, "t", replay("t", r.recs))
}

// writeHistory runs transactions of every shape: multi-row inserts, updates
// of many rows, deletes, primary key changes, a statement touching two
// tables, a rolled-back transaction and DDL of another table.
func writeHistory(db *testDB, round int) {
	base := round * 1000
	db.exec(
		fmt.Sprintf("INSERT INTO t (id, v) VALUES (%d, 1), (%d, 2), (%d, 3), (%d, 4)", base+1, base+2, base+3, base+4),
		"BEGIN",
		fmt.Sprintf("INSERT INTO t (id, v) VALUES (%d, 5)", base+5),
		fmt.Sprintf("UPDATE t SET v = v + 10 WHERE id BETWEEN %d AND %d", base+1, base+5),
		fmt.Sprintf("INSERT INTO other (id) VALUES (%d)", base+1),
		fmt.Sprintf("DELETE FROM t WHERE id = %d", base+2),
		"COMMIT",
		fmt.Sprintf("UPDATE t SET id = id + 500 WHERE id IN (%d, %d)", base+3, base+4),
		"BEGIN",
		fmt.Sprintf("INSERT INTO t (id, v) VALUES (%d, 99)", base+9),
		"ROLLBACK",
		fmt.Sprintf("CREATE TABLE other_%d (x INT)", round),
		fmt.Sprintf("UPDATE t SET v = v * 2 WHERE id >= %d", base),
	)
}

// TestStopMidStream stops the task abruptly at many points and checks that
// the next task, starting from the stored position, emits exactly the
// records after it: nothing lost, nothing of a committed position again.
func TestStopMidStream(t *testing.T) {
	db := newTestDB(t)
	db.exec("CREATE TABLE t (id INT PRIMARY KEY, v INT NOT NULL)", "CREATE TABLE other (id INT PRIMARY KEY)")
	insertRange(db, "t", 1, 10)
	cfg := db.config("poll.max.records", "7")

	full := startRun(t, cfg, nil)
	full.pollUntil(30*time.Second, "streaming", streaming(full))
	for round := 1; round <= 3; round++ {
		writeHistory(db, round)
	}
	db.exec("INSERT INTO t VALUES (-1, 0)")
	full.pollUntil(30*time.Second, "the sentinel", hasRecord("t", isSentinel(-1)))
	full.stop()
	all := full.recs
	checkReplay(t, db, "t", replay("t", all))

	// Restart after each record of the stream (and at a few snapshot ones).
	first := len(all)
	for i, r := range all {
		if r.Change.Op != connect.OpRead {
			first = i
			break
		}
	}
	for k := max(0, first-3); k < len(all)-1; k++ {
		store := offset.NewMemory()
		if err := store.Put(context.Background(), testConnector, all[k].Position); err != nil {
			t.Fatal(err)
		}
		r2 := startRun(t, cfg, store)
		r2.pollUntil(30*time.Second, "the sentinel", hasRecord("t", isSentinel(-1)))
		r2.stop()
		checkReplay(t, db, "t", replay("t", all[:k+1], r2.recs))
		if strings.Contains(string(all[k].Position.Offset), `"snapshot"`) {
			// A resumed snapshot reads the rows as they are now: only the
			// replay can be compared.
			continue
		}
		want := all[k+1:]
		got := r2.recs
		// The delete half of a primary key change does not commit its row:
		// after it, the delete comes again.
		if len(got) == len(want)+1 && sameRecord(got[0], all[k]) {
			got = got[1:]
		}
		if len(got) != len(want) {
			t.Fatalf("restart after record %d (%s %v at %s): got %d records, want %d", k, all[k].Change.Op, keyID(all[k]), all[k].Position.Offset, len(got), len(want))
		}
		for i := range want {
			if !sameRecord(got[i], want[i]) {
				t.Fatalf("restart after record %d: record %d is %s %v at %s, want %s %v at %s", k, i,
					got[i].Change.Op, keyID(got[i]), got[i].Position.Offset, want[i].Change.Op, keyID(want[i]), want[i].Position.Offset)
			}
		}
	}
}

func sameRecord(a, b *connect.Record) bool {
	return a.Change.Op == b.Change.Op && reflect.DeepEqual(a.Key, b.Key) &&
		reflect.DeepEqual(a.Change.Before, b.Change.Before) && reflect.DeepEqual(a.Change.After, b.Change.After) &&
		string(a.Position.Offset) == string(b.Position.Offset) && a.Position.Partition == b.Position.Partition
}

// TestStopMidSnapshot stops the task in the middle of the snapshot while
// rows change: the next task resumes the snapshot after the last key stored
// and the replay gives the table.
func TestStopMidSnapshot(t *testing.T) {
	// Whole pages per poll, and pages handed out in parts while read.
	for _, batch := range []string{"2048", "7"} {
		t.Run("poll.max.records="+batch, func(t *testing.T) { testStopMidSnapshot(t, batch) })
	}
}

func testStopMidSnapshot(t *testing.T, batch string) {
	db := newTestDB(t)
	db.exec("CREATE TABLE t (id INT PRIMARY KEY, v INT NOT NULL)")
	insertRange(db, "t", 1, 3000)
	cfg := db.config("snapshot.fetch.size", "100", "poll.max.records", batch)
	store := offset.NewMemory()

	r1 := startRun(t, cfg, store)
	r1.pollUntil(30*time.Second, "1000 snapshot rows", func(recs []*connect.Record) bool { return len(recs) >= 1000 })
	// Changes before and after the cut, while the snapshot runs.
	db.exec("UPDATE t SET v = -v WHERE id % 10 = 0", "DELETE FROM t WHERE id % 17 = 0", "INSERT INTO t VALUES (5000, 5000)")
	r1.poll(time.Second)
	k := 950
	cut := keyID(r1.recs[k]).(int64)
	r1.commit(k)
	r1.stop()
	db.exec("UPDATE t SET v = v + 1 WHERE id % 3 = 0", "DELETE FROM t WHERE id BETWEEN 900 AND 1100", "INSERT INTO t VALUES (5001, 1), (5, 5) ON DUPLICATE KEY UPDATE v = 55")

	r2 := startRun(t, cfg, store)
	db.exec("INSERT INTO t VALUES (-1, 0)")
	r2.pollUntil(time.Minute, "the sentinel", hasRecord("t", isSentinel(-1)))
	for _, r := range r2.recs {
		if r.Change.Op == connect.OpRead && keyID(r).(int64) <= cut {
			t.Fatalf("the resumed snapshot read id %v again, at or before the stored key %d", keyID(r), cut)
		}
	}
	if ops(r2.recs)[connect.OpRead] == 0 {
		t.Fatalf("the resumed snapshot read nothing: %v", ops(r2.recs))
	}
	checkReplay(t, db, "t", replay("t", r1.recs[:k+1], r2.recs))
}

// TestStopMidPage stops the task while a large snapshot page is still
// being read by its goroutine, after a few of its records were handed
// out: Stop ends the read (goleak checks that nothing is left), and a new
// task resumes after the stored record, with nothing lost.
func TestStopMidPage(t *testing.T) {
	db := newTestDB(t)
	db.exec("CREATE TABLE t (id INT PRIMARY KEY, v INT NOT NULL)")
	insertRange(db, "t", 1, 30000)
	cfg := db.config("snapshot.fetch.size", "30000", "poll.max.records", "10")
	store := offset.NewMemory()

	r1 := startRun(t, cfg, store)
	r1.pollUntil(30*time.Second, "the first records of the page", func(recs []*connect.Record) bool { return len(recs) >= 10 })
	if len(r1.recs) >= 30000 {
		t.Fatalf("the whole page came in one poll: %d records", len(r1.recs))
	}
	r1.commit(len(r1.recs) - 1)
	r1.stop()

	r2 := startRun(t, cfg, store)
	db.exec("INSERT INTO t VALUES (-1, 0)")
	r2.pollUntil(time.Minute, "the sentinel", hasRecord("t", isSentinel(-1)))
	if reads := ops(r2.recs)[connect.OpRead]; reads+len(r1.recs) != 30000 {
		t.Errorf("%d reads before the stop and %d after, want 30000 in all", len(r1.recs), reads)
	}
	checkReplay(t, db, "t", replay("t", r1.recs, r2.recs))
}
