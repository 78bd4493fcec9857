package runtime

import "context"

// What the REST layer needs from the runtime and has no exported method
// for yet. Kept in one place so that it can move behind exported API.

// lifecycle reports whether Start ran and whether Stop began.
func (rt *Runtime) lifecycle() (started, stopped bool) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.started, rt.stopped
}

// deleteOffsets removes some partitions of a STOPPED connector: Kafka
// Connect's PATCH /offsets with a null offset.
func (rt *Runtime) deleteOffsets(ctx context.Context, name string, partitions []string) error {
	if len(partitions) == 0 {
		return rt.whileStopped(ctx, name, func() error { return nil })
	}
	return rt.ResetOffsets(ctx, name, partitions...)
}
