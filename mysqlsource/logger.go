package mysqlsource

import (
	"context"
	"log/slog"
)

// libraryLogger returns the logger handed to go-mysql: its records go to l
// one level lower (its Info to Debug, its Error to Warn: the task reports
// the failures that matter itself), tagged component=go-mysql, without the
// syncer's config dump.
func libraryLogger(l *slog.Logger) *slog.Logger {
	return slog.New(&demoteHandler{h: l.Handler()}).With("component", "go-mysql")
}

type demoteHandler struct{ h slog.Handler }

func demote(l slog.Level) slog.Level {
	switch {
	case l >= slog.LevelError:
		return slog.LevelWarn
	case l >= slog.LevelWarn:
		return slog.LevelInfo
	default:
		return slog.LevelDebug
	}
}

func (d *demoteHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return d.h.Enabled(ctx, demote(l))
}

func (d *demoteHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, demote(r.Level), r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		if a.Key != "config" {
			out.AddAttrs(a)
		}
		return true
	})
	return d.h.Handle(ctx, out)
}

func (d *demoteHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &demoteHandler{h: d.h.WithAttrs(attrs)}
}

func (d *demoteHandler) WithGroup(name string) slog.Handler {
	return &demoteHandler{h: d.h.WithGroup(name)}
}
