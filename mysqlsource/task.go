package mysqlsource

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	connect "github.com/openmessaging/connect-go"
)

// task snapshots (when needed), then streams the binlog. Each snapshot
// page is read by a goroutine of its own, which Poll takes records from
// while it reads; while streaming, go-mysql's goroutine reads the binlog
// and the streamer's reader goroutine makes records of it. The
// snapshotter and the streamer own them and Stop stops them and waits.
type task struct {
	s         *settings
	log       *slog.Logger
	tc        connect.SourceTaskContext
	info      serverInfo
	partition string
	serverID  uint32
	live      *liveSchemas

	snap       *snapshotter // while snapshotting
	stream     *streamer    // while streaming
	progressAt time.Time
	shown      bool // the connected state last published
}

// Partition returns the Position.Partition of a server's records: "mysql:"
// and the server.name setting (host:port by default).
func Partition(serverName string) string { return "mysql:" + serverName }

// Start checks the server's binlog settings and decides where to begin: the
// stored position, an interrupted snapshot, or a new snapshot.
func (t *task) Start(ctx context.Context, tc connect.SourceTaskContext, cfg connect.Config) error {
	s, err := parseSettings(cfg)
	if err != nil {
		return err
	}
	t.s, t.tc = s, tc
	t.log = tc.Logger().With("server", s.addr)
	t.serverID = s.serverID
	if t.serverID == 0 {
		t.serverID = defaultServerID(tc.Connector(), tc.TaskID())
	}
	t.partition = Partition(s.serverName)

	stored, found, err := tc.Offset(ctx, t.partition)
	if err != nil {
		return fmt.Errorf("mysqlsource: read the stored position of %s: %w", t.partition, err)
	}
	conn, err := s.dial(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if t.info, err = s.inspect(conn); err != nil {
		return err
	}
	if !t.info.fullMetadata {
		t.log.Warn("binlog_row_metadata is not FULL: rows are decoded with the tables' current schemas, so rows written before an ALTER TABLE and read after it may decode wrongly; set binlog_row_metadata=FULL")
	}
	// Current schemas: the columns of tables when the binlog lacks them,
	// the system period columns of versioned tables.
	t.live = newLiveSchemas(s)

	if !found {
		if s.snapshotMode == SnapshotNever {
			file, pos, gtids, err := binlogStatus(conn)
			if err != nil {
				return s.fail("read the binlog position", err)
			}
			if t.info.mariadb() {
				if gtids, err = mariadbGTIDPos(conn, file, pos); err != nil {
					return s.fail("read the GTID position", err)
				}
			}
			t.streamFrom(offset{File: file, Pos: pos, GTIDs: gtids})
			return nil
		}
		t.snapshotFrom(nil)
		return nil
	}

	off, err := decodeOffset(stored)
	if err != nil {
		return connect.Fatal(err)
	}
	files, err := binlogFiles(conn)
	if err != nil {
		return s.fail("list the binlog files", err)
	}
	have := slices.Contains(files, off.File)
	switch {
	case off.Snapshot != nil && have:
		t.snapshotFrom(&off)
	case off.Snapshot != nil:
		t.log.Warn("the binlog of the interrupted snapshot was purged: starting the snapshot again", "binlog", off.File)
		t.snapshotFrom(nil)
	case have || s.resumeGTID && off.GTIDs != "":
		t.streamFrom(off)
	case s.snapshotMode == SnapshotWhenNeeded:
		t.log.Warn("the binlog to resume from was purged: taking a new snapshot", "binlog", off.File, "oldest", first(files))
		t.snapshotFrom(nil)
	default:
		return connect.Fatal(fmt.Errorf("mysqlsource: binlog %s, needed to resume at %s:%d, is no longer on %s (oldest: %s): it was purged; set %s=%s to take a new snapshot, or reset the connector's offsets",
			off.File, off.File, off.Pos, s.addr, first(files), KeySnapshotMode, SnapshotWhenNeeded))
	}
	return nil
}

func first(files []string) string {
	if len(files) == 0 {
		return "none"
	}
	return files[0]
}

func (t *task) snapshotFrom(resume *offset) {
	t.snap = newSnapshotter(t.s, t.log, t.info, t.tc, t.partition, resume)
}

func (t *task) streamFrom(o offset) {
	t.stream = newStreamer(t.s, t.log, t.info, t.partition, t.serverID, t.live, o)
	t.publish(true)
}

// Poll returns snapshot rows, then binlog changes. A lost connection is a
// retriable error: the next Poll reconnects where the records returned so
// far end.
func (t *task) Poll(ctx context.Context) ([]*connect.Record, error) {
	for ctx.Err() == nil {
		if t.snap != nil {
			recs, err := t.snap.next(ctx)
			if err != nil || len(recs) > 0 {
				return recs, err
			}
			if !t.snap.finished {
				return nil, nil
			}
			from := t.snap.from
			t.snap = nil
			t.streamFrom(offset{File: from.File, Pos: from.Pos, GTIDs: from.GTIDs})
			continue
		}
		recs, err := t.stream.poll(ctx, func() { t.publish(false) })
		var purged *errPurged
		if errors.As(err, &purged) && t.s.snapshotMode == SnapshotWhenNeeded {
			t.log.Warn("the binlog to resume from was purged: taking a new snapshot", "error", err)
			t.stream = nil
			t.snapshotFrom(nil)
			continue
		}
		t.publish(false)
		return recs, err
	}
	return nil, nil
}

// publish reports the streaming position in the task status, at most every
// second unless forced or the connection state changed.
func (t *task) publish(force bool) {
	connected := t.stream.connected()
	if !force && connected == t.shown && time.Since(t.progressAt) < time.Second {
		return
	}
	t.progressAt, t.shown = time.Now(), connected
	r := t.stream.returned
	p := map[string]any{
		"phase":     "streaming",
		"binlog":    coordinates{File: r.File, Pos: r.Pos, GTIDs: r.GTIDs}.String(),
		"connected": connected,
	}
	t.tc.SetProgress(p)
}

// Stop closes the connections and stops go-mysql's reader.
func (t *task) Stop(context.Context) error {
	if t.snap != nil {
		t.snap.close()
	}
	if t.stream != nil {
		t.stream.close()
	}
	if t.live != nil {
		t.live.close()
	}
	return nil
}
