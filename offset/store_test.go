package offset_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/offset"
)

// stores lists the constructors every behaviour test runs against.
var stores = []struct {
	name string
	new  func(t *testing.T) connect.OffsetStore
}{
	{"Memory", func(*testing.T) connect.OffsetStore { return offset.NewMemory() }},
	{"File", func(t *testing.T) connect.OffsetStore {
		f := offset.NewFile(filepath.Join(t.TempDir(), "offsets.json"))
		if err := f.Open(context.Background()); err != nil {
			t.Fatal(err)
		}
		return f
	}},
	// FileReopened reads every state back from disk with a fresh store
	// after each change, so each behaviour is also a persistence test.
	{"FileReopened", func(t *testing.T) connect.OffsetStore {
		return &reopening{path: filepath.Join(t.TempDir(), "offsets.json")}
	}},
}

func forEachStore(t *testing.T, test func(t *testing.T, s connect.OffsetStore)) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			s := st.new(t)
			t.Cleanup(func() { s.Close() })
			test(t, s)
		})
	}
}

func pos(partition string, off int) connect.Position {
	return connect.NewPosition(partition, map[string]int{"n": off})
}

func mustPut(t *testing.T, s connect.OffsetStore, connector string, ps ...connect.Position) {
	t.Helper()
	if err := s.Put(context.Background(), connector, ps...); err != nil {
		t.Fatalf("Put(%q): %v", connector, err)
	}
}

func mustGet(t *testing.T, s connect.OffsetStore, connector, partition string) (connect.Position, bool) {
	t.Helper()
	p, ok, err := s.Get(context.Background(), connector, partition)
	if err != nil {
		t.Fatalf("Get(%q, %q): %v", connector, partition, err)
	}
	return p, ok
}

func mustList(t *testing.T, s connect.OffsetStore, connector string) []string {
	t.Helper()
	ps, err := s.List(context.Background(), connector)
	if err != nil {
		t.Fatalf("List(%q): %v", connector, err)
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Partition + "=" + string(p.Offset)
	}
	return out
}

func TestGetMissing(t *testing.T) {
	forEachStore(t, func(t *testing.T, s connect.OffsetStore) {
		if p, ok := mustGet(t, s, "c", "p"); ok {
			t.Fatalf("Get on an empty store = %v, true", p)
		}
		mustPut(t, s, "c", pos("p", 1))
		if p, ok := mustGet(t, s, "c", "other"); ok {
			t.Fatalf("Get of an unknown partition = %v, true", p)
		}
	})
}

func TestPutThenGet(t *testing.T) {
	forEachStore(t, func(t *testing.T, s connect.OffsetStore) {
		mustPut(t, s, "c", connect.Position{Partition: "p", Offset: []byte(` {"file": "a.log", "pos": 42} `)})
		p, ok := mustGet(t, s, "c", "p")
		if !ok {
			t.Fatal("stored position not found")
		}
		var off struct {
			File string
			Pos  int
		}
		if err := p.Decode(&off); err != nil {
			t.Fatal(err)
		}
		if p.Partition != "p" || off.File != "a.log" || off.Pos != 42 {
			t.Fatalf("Get = %s %+v, want p {a.log 42}", p.Partition, off)
		}
		if want := `{"file":"a.log","pos":42}`; string(p.Offset) != want {
			t.Fatalf("offset %s, want compacted %s", p.Offset, want)
		}
	})
}

func TestPutReplaces(t *testing.T) {
	forEachStore(t, func(t *testing.T, s connect.OffsetStore) {
		mustPut(t, s, "c", pos("p", 1), pos("q", 1))
		mustPut(t, s, "c", pos("p", 2))
		mustPut(t, s, "c", pos("q", 3), pos("q", 4)) // the later one wins
		want := []string{`p={"n":2}`, `q={"n":4}`}
		if got := mustList(t, s, "c"); !slices.Equal(got, want) {
			t.Fatalf("List = %v, want %v", got, want)
		}
	})
}

func TestListSortedByPartition(t *testing.T) {
	forEachStore(t, func(t *testing.T, s connect.OffsetStore) {
		if got := mustList(t, s, "c"); len(got) != 0 {
			t.Fatalf("List of an unknown connector = %v, want empty", got)
		}
		mustPut(t, s, "c", pos("b", 2), pos("c", 3), pos("a", 1))
		mustPut(t, s, "c", pos("0", 0))
		want := []string{`0={"n":0}`, `a={"n":1}`, `b={"n":2}`, `c={"n":3}`}
		if got := mustList(t, s, "c"); !slices.Equal(got, want) {
			t.Fatalf("List = %v, want %v", got, want)
		}
	})
}

func TestDelete(t *testing.T) {
	forEachStore(t, func(t *testing.T, s connect.OffsetStore) {
		ctx := context.Background()
		mustPut(t, s, "c", pos("a", 1), pos("b", 2), pos("c", 3))
		mustPut(t, s, "other", pos("a", 9))
		if err := s.Delete(ctx, "c", "a", "c", "unknown"); err != nil {
			t.Fatal(err)
		}
		if got, want := mustList(t, s, "c"), []string{`b={"n":2}`}; !slices.Equal(got, want) {
			t.Fatalf("after deleting a and c: List = %v, want %v", got, want)
		}
		if err := s.Delete(ctx, "c"); err != nil {
			t.Fatal(err)
		}
		if got := mustList(t, s, "c"); len(got) != 1 {
			t.Fatalf("Delete without partitions deleted: List = %v, want b still there", got)
		}
		if err := s.DeleteAll(ctx, "c"); err != nil {
			t.Fatal(err)
		}
		if got := mustList(t, s, "c"); len(got) != 0 {
			t.Fatalf("after deleting all: List = %v, want empty", got)
		}
		if _, ok := mustGet(t, s, "other", "a"); !ok {
			t.Fatal("deleting c's partitions removed another connector's")
		}
		if err := s.Delete(ctx, "never-stored"); err != nil {
			t.Fatalf("Delete of an unknown connector: %v", err)
		}
		if err := s.DeleteAll(ctx, "never-stored"); err != nil {
			t.Fatalf("DeleteAll of an unknown connector: %v", err)
		}
	})
}

func TestConnectorsAreIsolated(t *testing.T) {
	forEachStore(t, func(t *testing.T, s connect.OffsetStore) {
		mustPut(t, s, "one", pos("p", 1))
		mustPut(t, s, "two", pos("p", 2))
		p1, _ := mustGet(t, s, "one", "p")
		p2, _ := mustGet(t, s, "two", "p")
		if string(p1.Offset) != `{"n":1}` || string(p2.Offset) != `{"n":2}` {
			t.Fatalf("one.p = %s, two.p = %s; want {\"n\":1} and {\"n\":2}", p1.Offset, p2.Offset)
		}
		if got := mustList(t, s, "one"); len(got) != 1 {
			t.Fatalf("List(one) = %v, want one position", got)
		}
	})
}

func TestValuesAreCopied(t *testing.T) {
	forEachStore(t, func(t *testing.T, s connect.OffsetStore) {
		in := connect.Position{Partition: "p", Offset: []byte(`[1]`)}
		mustPut(t, s, "c", in)
		in.Offset[1] = '7'
		out, _ := mustGet(t, s, "c", "p")
		if string(out.Offset) != `[1]` {
			t.Fatalf("changing the caller's buffer after Put changed the store: %s", out.Offset)
		}
		out.Offset[1] = '8'
		again, _ := mustGet(t, s, "c", "p")
		if string(again.Offset) != `[1]` {
			t.Fatalf("changing a returned offset changed the store: %s", again.Offset)
		}
	})
}

func TestPutRejectsBadPositions(t *testing.T) {
	tests := []struct {
		name      string
		connector string
		pos       connect.Position
	}{
		{"empty connector", "", pos("p", 1)},
		{"empty partition", "c", pos("", 1)},
		{"invalid JSON", "c", connect.Position{Partition: "p", Offset: []byte(`{"n":`)}},
		{"missing offset", "c", connect.Position{Partition: "p"}},
	}
	forEachStore(t, func(t *testing.T, s connect.OffsetStore) {
		for _, tt := range tests {
			if err := s.Put(context.Background(), tt.connector, pos("good", 1), tt.pos); err == nil {
				t.Errorf("%s: Put succeeded", tt.name)
			}
		}
		if got := mustList(t, s, "c"); len(got) != 0 {
			t.Fatalf("a rejected Put stored part of its batch: %v", got)
		}
	})
}

func TestClosed(t *testing.T) {
	forEachStore(t, func(t *testing.T, s connect.OffsetStore) {
		ctx := context.Background()
		mustPut(t, s, "c", pos("p", 1))
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		_, _, getErr := s.Get(ctx, "c", "p")
		_, listErr := s.List(ctx, "c")
		for name, err := range map[string]error{
			"Get":       getErr,
			"Put":       s.Put(ctx, "c", pos("p", 2)),
			"List":      listErr,
			"Delete":    s.Delete(ctx, "c", "p"),
			"DeleteAll": s.DeleteAll(ctx, "c"),
		} {
			if !errors.Is(err, connect.ErrClosed) {
				t.Errorf("%s after Close = %v, want ErrClosed", name, err)
			}
		}
	})
}

func TestConcurrentUse(t *testing.T) {
	forEachStore(t, func(t *testing.T, s connect.OffsetStore) {
		ctx := context.Background()
		const workers, rounds = 4, 20
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				c := fmt.Sprint("c", w)
				for i := range rounds {
					if err := s.Put(ctx, c, pos("p", i), pos("shared", i)); err != nil {
						t.Error(err)
						return
					}
					if _, _, err := s.Get(ctx, c, "p"); err != nil {
						t.Error(err)
						return
					}
					if _, err := s.List(ctx, c); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		for w := range workers {
			p, ok := mustGet(t, s, fmt.Sprint("c", w), "p")
			if !ok || string(p.Offset) != fmt.Sprintf(`{"n":%d}`, rounds-1) {
				t.Errorf("c%d.p = %s, %v; want the last put", w, p.Offset, ok)
			}
		}
	})
}

// reopening is a File store that is closed and opened again from disk
// after every change.
type reopening struct {
	mu   sync.Mutex
	path string
	f    *offset.File
	done bool
}

func (r *reopening) store() *offset.File {
	if r.f == nil {
		r.f = offset.NewFile(r.path)
		if r.done {
			r.f.Close()
		}
	}
	return r.f
}

func (r *reopening) reopen() {
	if r.f != nil && !r.done {
		r.f.Close()
		r.f = nil
	}
}

func (r *reopening) Get(ctx context.Context, c, p string) (connect.Position, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.store().Get(ctx, c, p)
}

func (r *reopening) Put(ctx context.Context, c string, ps ...connect.Position) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	defer r.reopen()
	return r.store().Put(ctx, c, ps...)
}

func (r *reopening) List(ctx context.Context, c string) ([]connect.Position, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.store().List(ctx, c)
}

func (r *reopening) Delete(ctx context.Context, c string, ps ...string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	defer r.reopen()
	return r.store().Delete(ctx, c, ps...)
}

func (r *reopening) DeleteAll(ctx context.Context, c string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	defer r.reopen()
	return r.store().DeleteAll(ctx, c)
}

func (r *reopening) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done = true
	return r.store().Close()
}
