package offset

import (
	"context"

	connect "github.com/openmessaging/connect-go"
)

// SnapshotNow publishes a snapshot at once, whenever the last one came.
func (t *Topic) SnapshotNow(ctx context.Context) error {
	t.mu.RLock()
	l := t.log
	t.mu.RUnlock()
	if l == nil {
		return connect.ErrClosed
	}
	return t.snapshot(ctx, l, true)
}

// Complete reports whether the store's state holds every record.
func (t *Topic) Complete() bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.st.complete
}
