package loglevels

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
)

// Kafka Connect's (log4j's) levels beyond slog's four.
const (
	LevelTrace = slog.LevelDebug - 4
	LevelFatal = slog.LevelError + 4
	LevelOff   = slog.Level(1 << 20)
)

// Root is the name of the logger every other one descends from.
const Root = "root"

// Levels holds the level of each named logger. It is safe for concurrent
// use; changing a level takes effect on the next record.
type Levels struct {
	inner slog.Handler
	mu    sync.Mutex
	nodes map[string]*node
}

// node is one named logger. level is its effective level, read on every
// record without the lock; explicit and modified are guarded by Levels.mu.
type node struct {
	name     string
	level    slog.LevelVar
	explicit *slog.Level
	modified time.Time
}

// New returns the levels of loggers writing to h, every one at root's
// level until set otherwise. h should let every level through (LevelTrace):
// the levels here decide.
func New(h slog.Handler, root slog.Level) *Levels {
	l := &Levels{inner: h, nodes: map[string]*node{}}
	r := &node{name: Root, explicit: &root}
	r.level.Set(root)
	l.nodes[Root] = r
	return l
}

// Handler returns the handler to build loggers on.
func (l *Levels) Handler() slog.Handler {
	return &handler{l: l, h: l.inner, n: l.nodes[Root]}
}

// Logger is one logger with a level of its own, as Get and Explicit report
// it.
type Logger struct {
	Name  string
	Level slog.Level
	// LastModified is when Set last changed it; zero for root's initial
	// level.
	LastModified time.Time
}

// Set sets the level of name and of every known logger below it, and
// returns their names, sorted. name need not be known yet: loggers made
// later with that name take the level.
func (l *Levels) Set(name string, level slog.Level) []string {
	name = strings.TrimSpace(name)
	if name == "" {
		name = Root
	}
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.nodeLocked(name)
	var changed []string
	for n, nd := range l.nodes {
		if name == Root || n == name || strings.HasPrefix(n, name+".") {
			lv := level
			nd.explicit, nd.modified = &lv, now
			changed = append(changed, n)
		}
	}
	l.recomputeLocked()
	slices.Sort(changed)
	return changed
}

// Get returns the effective level of a known logger.
func (l *Levels) Get(name string) (Logger, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	nd, ok := l.nodes[name]
	if !ok {
		return Logger{}, false
	}
	return Logger{Name: name, Level: nd.level.Level(), LastModified: nd.modified}, true
}

// Explicit returns root and the loggers whose level was set, by name.
func (l *Levels) Explicit() []Logger {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Logger
	for n, nd := range l.nodes {
		if nd.explicit != nil {
			out = append(out, Logger{Name: n, Level: *nd.explicit, LastModified: nd.modified})
		}
	}
	slices.SortFunc(out, func(a, b Logger) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// nodeLocked returns the node of name, creating it with its parent's
// effective level.
func (l *Levels) nodeLocked(name string) *node {
	if nd, ok := l.nodes[name]; ok {
		return nd
	}
	nd := &node{name: name}
	nd.level.Set(l.effectiveLocked(name))
	l.nodes[name] = nd
	return nd
}

func (l *Levels) effectiveLocked(name string) slog.Level {
	for n := name; ; {
		if nd, ok := l.nodes[n]; ok && nd.explicit != nil {
			return *nd.explicit
		}
		i := strings.LastIndexByte(n, '.')
		if i < 0 {
			return *l.nodes[Root].explicit
		}
		n = n[:i]
	}
}

func (l *Levels) recomputeLocked() {
	for n, nd := range l.nodes {
		nd.level.Set(l.effectiveLocked(n))
	}
}

func (l *Levels) named(name string) *node {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.nodeLocked(name)
}

// handler names records by the attributes its logger was made with.
type handler struct {
	l      *Levels
	h      slog.Handler
	n      *node
	groups bool // inside a group: attributes no longer name the logger
}

func (h *handler) Enabled(ctx context.Context, level slog.Level) bool {
	return level >= h.n.level.Level() && h.h.Enabled(ctx, level)
}

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < h.n.level.Level() {
		return nil
	}
	return h.h.Handle(ctx, r)
}

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	name := h.n.name
	if !h.groups {
		for _, a := range attrs {
			name = nameWith(name, a)
		}
	}
	n := h.n
	if name != n.name {
		n = h.l.named(name)
	}
	return &handler{l: h.l, h: h.h.WithAttrs(attrs), n: n, groups: h.groups}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{l: h.l, h: h.h.WithGroup(name), n: h.n, groups: true}
}

// nameWith returns the logger name after attribute a.
func nameWith(name string, a slog.Attr) string {
	v := a.Value.Resolve().String()
	switch a.Key {
	case "connector":
		return "connector." + v
	case "worker":
		if name == Root {
			return "runtime"
		}
	case "transport":
		if !strings.HasPrefix(name, "connector.") {
			return "transport"
		}
	case "component":
		if name == "runtime" {
			return "runtime." + v
		}
	}
	return name
}

// ParseLevel reads a Kafka Connect (log4j) level name, case-insensitively:
// OFF, FATAL, ERROR, WARN, INFO, DEBUG or TRACE.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "OFF":
		return LevelOff, nil
	case "FATAL":
		return LevelFatal, nil
	case "ERROR":
		return slog.LevelError, nil
	case "WARN":
		return slog.LevelWarn, nil
	case "INFO":
		return slog.LevelInfo, nil
	case "DEBUG":
		return slog.LevelDebug, nil
	case "TRACE":
		return LevelTrace, nil
	}
	return 0, fmt.Errorf("loglevels: unknown level %q: want OFF, FATAL, ERROR, WARN, INFO, DEBUG or TRACE", s)
}

// LevelName is the Kafka Connect (log4j) name of level: the name of the
// highest of those levels at or below it.
func LevelName(level slog.Level) string {
	switch {
	case level >= LevelOff:
		return "OFF"
	case level >= LevelFatal:
		return "FATAL"
	case level >= slog.LevelError:
		return "ERROR"
	case level >= slog.LevelWarn:
		return "WARN"
	case level >= slog.LevelInfo:
		return "INFO"
	case level >= slog.LevelDebug:
		return "DEBUG"
	}
	return "TRACE"
}
