package rocketmq_test

import (
	"log/slog"
	"os"
	"sync"
	"testing"
)

var testLoggers sync.Map // testing.TB -> *slog.Logger

// testLogger logs to t at the level of ROCKETMQ_TEST_LOG (debug, info,
// warn, error), and nothing when it is unset: tests stay quiet. The
// transports of one test share a logger, so the client's records, which go
// to every open transport's logger, appear once.
func testLogger(t testing.TB) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(os.Getenv("ROCKETMQ_TEST_LOG"))); err != nil {
		return slog.New(slog.DiscardHandler)
	}
	if l, ok := testLoggers.Load(t); ok {
		return l.(*slog.Logger)
	}
	l := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: level}))
	testLoggers.Store(t, l)
	t.Cleanup(func() { testLoggers.Delete(t) })
	return l
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	defer func() { recover() }() // a client goroutine logging after the test ended
	w.t.Log(string(p[:len(p)-1]))
	return len(p), nil
}
