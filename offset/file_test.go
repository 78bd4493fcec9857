package offset

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	connect "github.com/openmessaging/connect-go"
)

func TestFileCorruptFailsOpen(t *testing.T) {
	tests := []struct {
		name, content, reason string
	}{
		{"truncated", `{"version":1,"connectors":{"c":{"p":{"n":`, "corrupt"},
		{"garbage", "\x00\x00\x00\x00", "corrupt"},
		{"empty", "", "corrupt"},
		{"trailing data", `{"version":1,"connectors":{}} {}`, "corrupt"},
		{"no version", `{"connectors":{}}`, "version 0"},
		{"future version", `{"version":2,"connectors":{}}`, "version 2"},
		{"wrong shape", `{"version":1,"connectors":{"c":[1,2]}}`, "corrupt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "offsets.json")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			f := NewFile(path)
			err := f.Open(context.Background())
			if err == nil {
				t.Fatal("Open succeeded on a bad file")
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("Open error %q does not name the file %s and %q", err, path, tt.reason)
			}
			// No silent reset: later calls fail too and the file is untouched.
			if err := f.Put(context.Background(), "c", connect.NewPosition("p", 1)); err == nil {
				t.Fatal("Put succeeded after Open failed")
			}
			if b, _ := os.ReadFile(path); string(b) != tt.content {
				t.Fatalf("the bad file was changed to %q", b)
			}
		})
	}
}

func TestFileUnreadableFailsOpen(t *testing.T) {
	path := t.TempDir() // a directory cannot be read as a file, even by root
	err := NewFile(path).Open(context.Background())
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("Open of a directory = %v, want an error naming %s", err, path)
	}
}

func TestFileMissingIsEmptyAndCreatesDir(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "worker", "offsets.json")
	f := NewFile(path)
	ctx := context.Background()
	if err := f.Open(ctx); err != nil {
		t.Fatal(err)
	}
	if ps, err := f.List(ctx, "c"); err != nil || len(ps) != 0 {
		t.Fatalf("List of a new store = %v, %v", ps, err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("Open created the file (stat: %v); it should wait for the first Put", err)
	}
	if err := f.Put(ctx, "c", connect.NewPosition("p", 1)); err != nil {
		t.Fatalf("Put into a created directory: %v", err)
	}
}

func TestFileOpensImplicitly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "offsets.json")
	ctx := context.Background()
	first := NewFile(path)
	if err := first.Put(ctx, "c", connect.NewPosition("a", 1)); err != nil {
		t.Fatalf("Put before Open: %v", err)
	}
	first.Close()

	second := NewFile(path)
	defer second.Close()
	if err := second.Put(ctx, "c", connect.NewPosition("b", 2)); err != nil {
		t.Fatal(err)
	}
	ps, err := second.List(ctx, "c")
	if err != nil || len(ps) != 2 {
		t.Fatalf("List = %v, %v; an implicit open must load the file before writing it", ps, err)
	}
}

func TestFileFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "offsets.json")
	f := NewFile(path)
	defer f.Close()
	if err := f.Put(context.Background(), "src", connect.NewPosition("file:/a.log", map[string]int{"pos": 7})); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Version    int
		Connectors map[string]map[string]struct{ Pos int }
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("file is not JSON: %v\n%s", err, b)
	}
	if got.Version != 1 || got.Connectors["src"]["file:/a.log"].Pos != 7 {
		t.Fatalf("file content:\n%s", b)
	}
}

// A change writes the file (a new file renamed over the old one, so a new
// inode); a call that changes nothing does not.
func TestFileWritesOnlyChanges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "offsets.json")
	f := NewFile(path)
	defer f.Close()
	ctx := context.Background()
	inode := func() uint64 {
		st, err := os.Stat(path)
		if os.IsNotExist(err) {
			return 0
		}
		if err != nil {
			t.Fatal(err)
		}
		return st.Sys().(*syscall.Stat_t).Ino
	}
	many := make([]connect.Position, 100)
	for i := range many {
		many[i] = connect.NewPosition(fmt.Sprint("p", i), i)
	}
	steps := []struct {
		name   string
		do     func() error
		writes bool
	}{
		{"put 100 positions", func() error { return f.Put(ctx, "c", many...) }, true},
		{"put them again", func() error { return f.Put(ctx, "c", many...) }, false},
		{"put one changed", func() error { return f.Put(ctx, "c", many[0], connect.NewPosition("p1", -1)) }, true},
		{"put nothing", func() error { return f.Put(ctx, "c") }, false},
		{"delete unknown", func() error { return f.Delete(ctx, "c", "nope") }, false},
		{"delete unknown connector", func() error { return f.Delete(ctx, "nobody") }, false},
		{"delete no partitions", func() error { return f.Delete(ctx, "c") }, false},
		{"delete two", func() error { return f.Delete(ctx, "c", "p1", "p2") }, true},
		{"delete all", func() error { return f.DeleteAll(ctx, "c") }, true},
		{"delete all again", func() error { return f.DeleteAll(ctx, "c") }, false},
	}
	for _, s := range steps {
		before := inode()
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if wrote := inode() != before; wrote != s.writes {
			t.Errorf("%s: wrote the file %v, want %v", s.name, wrote, s.writes)
		}
	}
}

func TestFileFailedWriteKeepsState(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gone")
	path := filepath.Join(dir, "offsets.json")
	f := NewFile(path)
	defer f.Close()
	ctx := context.Background()
	if err := f.Put(ctx, "c", connect.NewPosition("p", 1)); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := f.Put(ctx, "c", connect.NewPosition("p", 2), connect.NewPosition("q", 2)); err == nil {
		t.Fatal("Put succeeded with its directory gone")
	}
	if err := f.Put(ctx, "new", connect.NewPosition("p", 2)); err == nil {
		t.Fatal("Put succeeded with its directory gone")
	}
	p, _, _ := f.Get(ctx, "c", "p")
	_, hasQ, _ := f.Get(ctx, "c", "q")
	_, hasNew, _ := f.Get(ctx, "new", "p")
	if string(p.Offset) != "1" || hasQ || hasNew {
		t.Fatalf("after failed Puts: c/p=%s, c/q stored=%v, new/p stored=%v; want only c/p=1", p.Offset, hasQ, hasNew)
	}
}

func TestFileOpenRemovesTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "offsets.json")
	leftover := filepath.Join(dir, "offsets.json.tmp-12345")
	unrelated := filepath.Join(dir, "other.json.tmp-1")
	for _, p := range []string{leftover, unrelated} {
		if err := os.WriteFile(p, []byte("{"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := NewFile(path).Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(leftover); !os.IsNotExist(err) {
		t.Errorf("leftover temporary file still there (stat: %v)", err)
	}
	if _, err := os.Stat(unrelated); err != nil {
		t.Errorf("another file's temporary file was removed: %v", err)
	}
}
