//go:build !unix

package worker

// lockDir does nothing where flock is not available: run one worker per
// data directory.
func lockDir(string) (func(), error) { return func() {}, nil }
