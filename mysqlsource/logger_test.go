package mysqlsource

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestLibraryLogger(t *testing.T) {
	var buf bytes.Buffer
	l := libraryLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})))
	l.Info("create BinlogSyncer", "config", "secret stuff")
	l.Error("connection was bad", "retry", 1)
	out := buf.String()
	if strings.Contains(out, "create BinlogSyncer") || strings.Contains(out, "secret") {
		t.Errorf("go-mysql's Info should be Debug and its config dropped:\n%s", out)
	}
	if !strings.Contains(out, "level=WARN msg=\"connection was bad\"") || !strings.Contains(out, "component=go-mysql") {
		t.Errorf("go-mysql's Error should be a Warn tagged component=go-mysql:\n%s", out)
	}
}
