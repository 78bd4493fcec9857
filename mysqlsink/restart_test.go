package mysqlsink_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/converter"
	"github.com/openmessaging/connect-go/mysqlsink"
	"github.com/openmessaging/connect-go/runtime"
	"github.com/openmessaging/connect-go/transport/memory"
)

// restartServer restarts the test MariaDB with scripts/services.sh (as
// mysqlsource's TestServerRestart does) and returns once it is back.
// Whatever happens, the test leaves MariaDB running.
func restartServer(t *testing.T) {
	t.Helper()
	script, err := filepath.Abs(filepath.Join("..", "scripts", "services.sh"))
	if err != nil {
		t.Fatal(err)
	}
	services := func(args ...string) error {
		out, err := exec.Command(script, args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("services.sh %v: %v\n%s", args, err, out)
		}
		return nil
	}
	t.Cleanup(func() {
		if err := services("up", "mysql"); err != nil {
			t.Error(err)
		}
	})
	if err := services("restart", "mysql"); err != nil {
		t.Fatal(err)
	}
}

// The target server restarts under a running exactly_once sink while
// records keep coming: the statements and commits cut by the restart fail,
// the batches are retried once the server is back, and every record is in
// the table once. (It restarts the shared MariaDB: scripts/test.sh runs it
// alone, in its list of disruptive tests.)
func TestTargetServerRestart(t *testing.T) {
	if _, err := os.Stat(filepath.Join("..", "scripts", "services.sh")); err != nil {
		t.Fatalf("scripts/services.sh: %v", err)
	}
	db := newTestDB(t)
	db.exec(auditTable)
	tr := memory.New()
	defer tr.Close()
	retries := &countHandler{msg: "retriable error; retrying with backoff"}
	rt := runtime.New(runtime.WithTransport(tr), runtime.WithLogger(slog.New(retries)),
		runtime.WithRestartBackoff(50*time.Millisecond, 200*time.Millisecond),
		runtime.WithPlugin("MySQLSink", func() connect.Connector { return mysqlsink.New() }))
	ctx := context.Background()
	if err := rt.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer rt.Stop(ctx)
	if err := tr.CreateTopic(ctx, "events", 4); err != nil {
		t.Fatal(err)
	}
	cfg := auditConfig(db, "connector.class", "MySQLSink", "topics", "events", "tasks.max", "2",
		"batch.size.max", "100", "errors.retry.timeout", "-1", "errors.retry.delay.max", "500ms")
	if err := rt.CreateConnector(ctx, "audit", cfg); err != nil {
		t.Fatal(err)
	}

	// Records keep coming, before, during and after the restart.
	stop := make(chan struct{})
	published := make(chan int, 1)
	failed := make(chan error, 1)
	go func() {
		cv := converter.NewJSON()
		n := 0
		for {
			select {
			case <-stop:
				published <- n
				return
			case <-time.After(10 * time.Millisecond):
			}
			msgs := make([]*connect.Message, 0, 100)
			for i := n; i < n+100; i++ {
				m, err := cv.Encode(&connect.Record{Topic: "events", Key: fmt.Sprint("k", i%16), Value: map[string]any{"ev": int64(i), "k": int64(i % 16)}})
				if err != nil {
					failed <- err
					published <- n
					return
				}
				msgs = append(msgs, m)
			}
			if err := tr.Publish(ctx, msgs...); err != nil {
				failed <- err
				published <- n
				return
			}
			n += 100
		}
	}()
	waitRows(t, db, 2000, time.Minute)
	restartServer(t)
	t.Logf("restarted at %d rows", waitRows(t, db, 0, 0))
	more := waitRows(t, db, 0, 0) + 2000
	if got := waitRows(t, db, more, 2*time.Minute); got < more {
		t.Errorf("%d rows 2 minutes after the restart, want %d", got, more)
	}
	close(stop)
	n := <-published
	select {
	case err := <-failed:
		t.Fatalf("publish: %v", err)
	default:
	}
	waitExact(t, db, n)
	checkTasksRunning(t, rt, "audit", true) // the restart's errors are retriable
	if retries.n.Load() == 0 {
		t.Error("the sink retried nothing: the restart did not cut it")
	}
	t.Logf("%d records, %d retries", n, retries.n.Load())
}

// countHandler counts the log records with message msg.
type countHandler struct {
	msg string
	n   atomic.Int64
}

func (h *countHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *countHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.n.Add(1)
	}
	return nil
}

func (h *countHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countHandler) WithGroup(string) slog.Handler      { return h }
