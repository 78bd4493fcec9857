package loglevels_test

import (
	"bytes"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/openmessaging/connect-go/loglevels"
)

func TestLevels(t *testing.T) {
	var buf bytes.Buffer
	lv := loglevels.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: loglevels.LevelTrace}), slog.LevelInfo)
	root := slog.New(lv.Handler())
	rt := root.With("worker", "w1")
	rest := rt.With("component", "rest")
	conn := rt.With("connector", "orders").With("task", 0)
	tr := root.With("transport", "rocketmq")
	logged := func(l *slog.Logger, level slog.Level) bool {
		buf.Reset()
		l.Log(t.Context(), level, "m")
		return buf.Len() > 0
	}
	for _, l := range []*slog.Logger{root, rt, rest, conn, tr} {
		if logged(l, slog.LevelDebug) || !logged(l, slog.LevelInfo) {
			t.Fatal("root's level INFO does not hold")
		}
	}
	if got := lv.Set("connector.orders", slog.LevelDebug); !slices.Equal(got, []string{"connector.orders"}) {
		t.Errorf("Set connector.orders changed %v", got)
	}
	if !logged(conn, slog.LevelDebug) || logged(rt, slog.LevelDebug) {
		t.Error("connector.orders at DEBUG: wrong loggers follow")
	}
	if got := lv.Set("runtime", loglevels.LevelTrace); !slices.Equal(got, []string{"runtime", "runtime.rest"}) {
		t.Errorf("Set runtime changed %v", got)
	}
	if !logged(rest, loglevels.LevelTrace) || logged(tr, slog.LevelDebug) {
		t.Error("runtime at TRACE: wrong loggers follow")
	}
	lv.Set("transport", slog.LevelError)
	if logged(tr, slog.LevelWarn) || !logged(tr, slog.LevelError) {
		t.Error("transport at ERROR does not hold")
	}
	lv.Set(loglevels.Root, loglevels.LevelOff)
	for _, l := range []*slog.Logger{root, rt, rest, conn, tr} {
		if logged(l, loglevels.LevelFatal) {
			t.Error("root OFF does not hold")
		}
	}
	var names []string
	for _, l := range lv.Explicit() {
		names = append(names, l.Name+"="+loglevels.LevelName(l.Level))
	}
	if want := "connector.orders=OFF root=OFF runtime=OFF runtime.rest=OFF transport=OFF"; strings.Join(names, " ") != want {
		t.Errorf("explicit %v, want %s", names, want)
	}
	if _, err := loglevels.ParseLevel("verbose"); err == nil {
		t.Error("level verbose accepted")
	}
	for _, n := range []string{"OFF", "FATAL", "ERROR", "WARN", "INFO", "DEBUG", "TRACE"} {
		if l, err := loglevels.ParseLevel(strings.ToLower(n)); err != nil || loglevels.LevelName(l) != n {
			t.Errorf("%s: %v %v", n, l, err)
		}
	}
}
