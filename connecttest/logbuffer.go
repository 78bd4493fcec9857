package connecttest

import (
	"bytes"
	"sync"
)

// LogBuffer collects log output written from several goroutines, for tests
// that check what a connector logs (and that it never logs a secret):
//
//	var logs connecttest.LogBuffer
//	logger := slog.New(slog.NewTextHandler(&logs, nil))
//
// The zero value is ready to use.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write implements io.Writer; safe for concurrent use.
func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
