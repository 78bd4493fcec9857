//go:build unix

package worker

import (
	"fmt"
	"os"
	"syscall"
)

// lockDir takes an exclusive lock on dir/LOCK, so that two workers never
// share a data directory (the offset file is meant for one process). The
// lock goes with the process; unlock releases it earlier.
func lockDir(dir string) (unlock func(), err error) {
	path := dir + string(os.PathSeparator) + "LOCK"
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock data dir: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("data dir %s is in use by another worker (lock %s: %w)", dir, path, err)
	}
	return func() { f.Close() }, nil
}
