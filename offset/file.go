package offset

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/internal/atomicfile"
)

var (
	_ connect.OffsetStore = (*File)(nil)
	_ connect.Opener      = (*File)(nil)
)

// fileVersion is the format version File writes and accepts.
const fileVersion = 1

// fileState is the on-disk format.
type fileState struct {
	Version    int       `json:"version"`
	Connectors positions `json:"connectors"`
}

// File is an OffsetStore kept in one JSON file; see the package
// documentation for the format and the crash guarantees.
//
// Open reads the file. Calling a method before Open opens the store
// implicitly with that method's ctx, so Open is only needed to learn about
// an unreadable file early (the runtime calls it from Start). Methods are
// safe for concurrent use; writes are serialized. Close is idempotent, and
// methods return connect.ErrClosed after it.
type File struct {
	path string

	mu     sync.Mutex
	opened bool
	closed bool
	data   positions
}

// NewFile returns a store kept in the file at path. Nothing is read or
// created until Open.
func NewFile(path string) *File {
	return &File{path: path}
}

// Path returns the file the store is kept in.
func (f *File) Path() string { return f.path }

// Open reads the file. A missing file is an empty store; its directory is
// created. An unreadable, truncated or corrupt file is an error naming the
// file: the store never silently starts over. Leftover temporary files of an
// interrupted write are removed. Open is idempotent.
func (f *File) Open(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.openLocked(ctx)
}

func (f *File) openLocked(ctx context.Context) error {
	if f.closed {
		return connect.ErrClosed
	}
	if f.opened {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	data, err := readState(f.path)
	if err != nil {
		return err
	}
	dir := filepath.Dir(f.path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("offset: open %s: %w", f.path, err)
	}
	removeTemps(dir, filepath.Base(f.path))
	f.data = data
	f.opened = true
	return nil
}

func readState(path string) (positions, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return positions{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("offset: open %s: %w", path, err)
	}
	var st fileState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("offset: open %s: corrupt offsets file (%d bytes): %w; restore it, or delete it to start every source over", path, len(b), err)
	}
	if st.Version != fileVersion {
		return nil, fmt.Errorf("offset: open %s: unsupported offsets file version %d (want %d)", path, st.Version, fileVersion)
	}
	if st.Connectors == nil {
		st.Connectors = positions{}
	}
	for c, parts := range st.Connectors {
		if len(parts) == 0 {
			delete(st.Connectors, c)
			continue
		}
		// The file is indented for people; the store hands out compact
		// offsets, whatever wrote them.
		for p, off := range parts {
			var buf bytes.Buffer
			if err := json.Compact(&buf, off); err != nil {
				return nil, fmt.Errorf("offset: open %s: corrupt offset of %s/%s: %w", path, c, p, err)
			}
			parts[p] = buf.Bytes()
		}
	}
	return st.Connectors, nil
}

// removeTemps deletes temporary files left by writes a crash interrupted.
// They never hold the only copy of anything: the rename had not happened.
func removeTemps(dir, base string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), base+".tmp-") {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// ready opens the store if needed. Called with f.mu held.
func (f *File) ready(ctx context.Context) error {
	if f.closed {
		return connect.ErrClosed
	}
	return f.openLocked(ctx)
}

// Get returns the stored position of partition, and false when none is.
func (f *File) Get(ctx context.Context, connector, partition string) (connect.Position, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.ready(ctx); err != nil {
		return connect.Position{}, false, err
	}
	p, ok := f.data.get(connector, partition)
	return p, ok, nil
}

// Put stores positions with one atomic file write, replacing earlier ones of
// the same partitions; when a partition appears twice the later position
// wins. A Put that changes nothing does not write. When the write fails the
// store keeps its previous state, in memory as on disk.
func (f *File) Put(ctx context.Context, connector string, ps ...connect.Position) error {
	ps, err := normalize(connector, ps)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.ready(ctx); err != nil {
		return err
	}
	next, changed := f.data.withPut(connector, ps)
	if !changed {
		return nil
	}
	return f.commit(ctx, connector, next)
}

// List returns every stored position of connector, sorted by partition.
func (f *File) List(ctx context.Context, connector string) ([]connect.Position, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.ready(ctx); err != nil {
		return nil, err
	}
	return f.data.list(connector), nil
}

// Delete removes the given partitions of connector, or all of them when none
// is given, with one atomic file write. Unknown partitions are ignored.
func (f *File) Delete(ctx context.Context, connector string, partitions ...string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.ready(ctx); err != nil {
		return err
	}
	next, changed := f.data.withDelete(connector, partitions)
	if !changed {
		return nil
	}
	return f.commit(ctx, connector, next)
}

// DeleteAll removes every partition of connector.
func (f *File) DeleteAll(ctx context.Context, connector string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.ready(ctx); err != nil {
		return err
	}
	next, changed := f.data.withDeleteAll(connector)
	if !changed {
		return nil
	}
	return f.commit(ctx, connector, next)
}

// Close releases the store. Every successful Put is already on disk, so
// there is nothing to flush. Close is idempotent.
func (f *File) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	f.data = nil
	return nil
}

// commit writes the state with connector's partitions replaced by parts and
// installs it in memory once it is on disk.
func (f *File) commit(ctx context.Context, connector string, parts map[string]json.RawMessage) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	prev, had := f.data[connector]
	f.data.set(connector, parts)
	if err := f.write(); err != nil {
		if had {
			f.data[connector] = prev
		} else {
			delete(f.data, connector)
		}
		return err
	}
	return nil
}

// write replaces the file with the current state atomically.
func (f *File) write() error {
	b, err := json.MarshalIndent(fileState{Version: fileVersion, Connectors: f.data}, "", "  ")
	if err != nil {
		return fmt.Errorf("offset: encode %s: %w", f.path, err)
	}
	if err := atomicfile.Write(f.path, append(b, '\n')); err != nil {
		return fmt.Errorf("offset: %w", err)
	}
	return nil
}
