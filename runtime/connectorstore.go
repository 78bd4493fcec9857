package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/internal/atomicfile"
)

// StoredConnector is what a ConnectorStore keeps of one connector: enough to
// bring it back after a restart.
type StoredConnector struct {
	Name   string         `json:"name"`
	Config connect.Config `json:"config"`
	// Target is what the user asked for: RUNNING, PAUSED or STOPPED.
	Target connect.State `json:"target"`
}

// ConnectorStore persists connector configs and target states, so that a
// restarted worker brings its connectors back (the worker's data directory;
// Kafka Connect's config topic). Methods are safe for concurrent use.
type ConnectorStore interface {
	// Load returns every stored connector, sorted by name.
	Load(ctx context.Context) ([]StoredConnector, error)
	// Save stores c, replacing a connector of the same name.
	Save(ctx context.Context, c StoredConnector) error
	// Remove forgets the connector; removing an unknown one is no error.
	Remove(ctx context.Context, name string) error
}

// WithConnectorStore makes the runtime persist connectors in s and restore
// them from it in Start. Default: none (connectors live as long as the
// process).
func WithConnectorStore(s ConnectorStore) Option {
	return optionFunc(func(c *config) {
		if s != nil {
			c.connectorStore = s
		}
	})
}

// FileConnectorStore keeps connectors in one JSON file, replaced atomically
// on every change. Secrets are stored as given: protect the file (it is
// written with mode 0600).
type FileConnectorStore struct {
	path string
	mu   sync.Mutex
}

var _ ConnectorStore = (*FileConnectorStore)(nil)

// NewFileConnectorStore returns a store writing to path. A missing file is
// an empty store; a corrupt one is an error from Load naming it.
func NewFileConnectorStore(path string) *FileConnectorStore {
	return &FileConnectorStore{path: path}
}

type connectorFile struct {
	Version    int               `json:"version"`
	Connectors []StoredConnector `json:"connectors"`
}

func (s *FileConnectorStore) read() (map[string]StoredConnector, error) {
	b, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]StoredConnector{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("runtime: read connector store: %w", err)
	}
	var f connectorFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil || f.Version != 1 {
		if err == nil {
			err = fmt.Errorf("unknown version %d", f.Version)
		}
		return nil, fmt.Errorf("runtime: connector store %s is corrupt: %w", s.path, err)
	}
	out := make(map[string]StoredConnector, len(f.Connectors))
	for _, c := range f.Connectors {
		out[c.Name] = c
	}
	return out, nil
}

func (s *FileConnectorStore) write(all map[string]StoredConnector) error {
	f := connectorFile{Version: 1, Connectors: slices.Collect(maps.Values(all))}
	sort.Slice(f.Connectors, func(i, j int) bool { return f.Connectors[i].Name < f.Connectors[j].Name })
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("runtime: encode connector store: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return fmt.Errorf("runtime: connector store: %w", err)
	}
	if err := atomicfile.Write(s.path, append(b, '\n')); err != nil {
		return fmt.Errorf("runtime: connector store: %w", err)
	}
	return os.Chmod(s.path, 0o600)
}

// Load implements ConnectorStore.
func (s *FileConnectorStore) Load(context.Context) ([]StoredConnector, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	all, err := s.read()
	if err != nil {
		return nil, err
	}
	out := slices.Collect(maps.Values(all))
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Save implements ConnectorStore.
func (s *FileConnectorStore) Save(_ context.Context, c StoredConnector) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	all, err := s.read()
	if err != nil {
		return err
	}
	all[c.Name] = c
	return s.write(all)
}

// Remove implements ConnectorStore.
func (s *FileConnectorStore) Remove(_ context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	all, err := s.read()
	if err != nil {
		return err
	}
	if _, ok := all[name]; !ok {
		return nil
	}
	delete(all, name)
	return s.write(all)
}
