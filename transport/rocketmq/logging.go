package rocketmq

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"runtime/debug"
	"slices"
	"strings"
	"sync"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/rlog"
)

// The client logs through one process-wide logger (rlog.SetLogger) and
// recovers panics of its goroutines through one process-wide handler
// (primitive.PanicHandler). Both are plain variables its goroutines read
// without synchronisation, so they are set once, before the first client of
// this package starts, to clientLog, which forwards every record to the
// loggers of the transports open at that moment. See "Logging" in the
// package doc.
var clientLog = &clientLogger{loggers: map[*Transport]*slog.Logger{}}

type clientLogger struct {
	once    sync.Once
	mu      sync.RWMutex
	loggers map[*Transport]*slog.Logger
	current []*slog.Logger // distinct values of loggers
}

// attach routes client records to t's logger until detach; the first call
// installs clientLog into the client.
func (c *clientLogger) attach(t *Transport, l *slog.Logger) {
	c.once.Do(func() {
		rlog.SetLogger(rlogAdapter{c})
		if primitive.PanicHandler == nil {
			primitive.PanicHandler = c.recovered
		}
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	c.loggers[t] = l
	c.refresh()
}

func (c *clientLogger) detach(t *Transport) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.loggers, t)
	c.refresh()
}

func (c *clientLogger) refresh() {
	c.current = c.current[:0:0]
	for _, l := range c.loggers {
		if !slices.Contains(c.current, l) {
			c.current = append(c.current, l)
		}
	}
}

func (c *clientLogger) log(level slog.Level, msg string, fields map[string]any) {
	if level > slog.LevelDebug && expected(msg, fields) {
		level = slog.LevelDebug
	}
	c.mu.RLock()
	loggers := c.current
	c.mu.RUnlock()
	ctx := context.Background()
	var attrs []slog.Attr
	for _, l := range loggers {
		if !l.Enabled(ctx, level) {
			continue
		}
		if attrs == nil {
			attrs = fieldAttrs(fields)
		}
		l.LogAttrs(ctx, level, "rocketmq client: "+msg, attrs...)
	}
}

// expected reports whether a client warning or error is about a state the
// transport expects and handles: looking up a topic that does not exist yet
// (CreateTopic and Subscribe do, and the error is returned where it
// matters), the retry topic of a new group (created by the broker with the
// group, unused by the transport), a member the broker does not list yet.
func expected(msg string, fields map[string]any) bool {
	switch msg {
	case "queryTopicRouteInfoFromServer failed", "queryTopicRouteInfoFromServer return nil",
		"[BUG] ConsumerId not in cidAll":
		return true
	case "query topic route from server error":
		return fmt.Sprint(fields[rlog.LogKeyUnderlayError]) == "topic not exist"
	case "do balance in group failed, the topic does not exist":
		return strings.HasPrefix(fmt.Sprint(fields[rlog.LogKeyTopic]), "%RETRY%")
	}
	return false
}

// recovered is the client's panic handler: a panic in one of its
// goroutines is logged instead of ending the process. The goroutine is
// gone, and the client never starts it again: a queue's puller, say, and
// the queue stalls. The handler cannot tell whose goroutine it was, so
// every subscription of every open transport fails; see ErrClientPanicked.
func (c *clientLogger) recovered(v any) {
	c.logPanic("recovered panic in a client goroutine", v)
	c.mu.RLock()
	ts := slices.Collect(maps.Keys(c.loggers))
	c.mu.RUnlock()
	cause := fmt.Errorf("panic: %v", v)
	for _, t := range ts {
		t.failSubscriptions(cause)
	}
}

// logPanic logs the panic v, recovered in the goroutine that panicked.
func (c *clientLogger) logPanic(msg string, v any) {
	c.log(slog.LevelError, msg, map[string]any{
		"panic": v,
		"stack": string(debug.Stack()),
	})
}

// maxFieldLen bounds a logged field: the client logs whole message lists.
const maxFieldLen = 1024

func fieldAttrs(fields map[string]any) []slog.Attr {
	keys := make([]string, 0, len(fields)+1)
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	attrs := make([]slog.Attr, 0, len(keys)+1)
	attrs = append(attrs, slog.String("component", "rocketmq-client"))
	for _, k := range keys {
		v := fields[k]
		switch v := v.(type) {
		case string:
			attrs = append(attrs, slog.String(k, truncate(v)))
		case error:
			attrs = append(attrs, slog.String(k, truncate(v.Error())))
		case int, int32, int64, bool:
			attrs = append(attrs, slog.Any(k, v))
		default:
			attrs = append(attrs, slog.String(k, truncate(fmt.Sprint(v))))
		}
	}
	return attrs
}

func truncate(s string) string {
	if len(s) <= maxFieldLen {
		return s
	}
	return s[:maxFieldLen] + "…"
}

// rlogAdapter is the rlog.Logger the client writes to. Its levels are mapped
// down one step where the client is chatty: client Info (offset commits,
// rebalances, every few seconds) is Debug here; Warning and Error (a broker
// or name server that cannot be reached, a failed pull) stay Warn and Error,
// which is how connection loss shows in the application's log. Fatal is
// logged as Error: the client calls it where nothing is fatal for us.
type rlogAdapter struct{ c *clientLogger }

func (a rlogAdapter) Debug(msg string, fields map[string]any) {
	a.c.log(slog.LevelDebug, msg, fields)
}

func (a rlogAdapter) Info(msg string, fields map[string]any) {
	a.c.log(slog.LevelDebug, msg, fields)
}

func (a rlogAdapter) Warning(msg string, fields map[string]any) {
	a.c.log(slog.LevelWarn, msg, fields)
}

func (a rlogAdapter) Error(msg string, fields map[string]any) {
	a.c.log(slog.LevelError, msg, fields)
}

func (a rlogAdapter) Fatal(msg string, fields map[string]any) {
	a.c.log(slog.LevelError, msg, fields)
}

// Level and OutputPath are no-ops: levels and output belong to the slog
// loggers.
func (rlogAdapter) Level(string) {}

func (rlogAdapter) OutputPath(string) error { return nil }
