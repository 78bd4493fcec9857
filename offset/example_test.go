package offset_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/offset"
)

func Example() {
	dir, _ := os.MkdirTemp("", "offsets")
	defer os.RemoveAll(dir)
	ctx := context.Background()

	// A worker stores what its source task reached...
	store := offset.NewFile(filepath.Join(dir, "offsets.json"))
	if err := store.Open(ctx); err != nil {
		fmt.Println(err)
		return
	}
	store.Put(ctx, "orders-source",
		connect.NewPosition("file:/var/log/a.log", map[string]int64{"pos": 4096}),
		connect.NewPosition("file:/var/log/b.log", map[string]int64{"pos": 512}))
	store.Close()

	// ...and after a restart the task resumes from there.
	store = offset.NewFile(filepath.Join(dir, "offsets.json"))
	defer store.Close()
	if err := store.Open(ctx); err != nil {
		fmt.Println(err)
		return
	}
	ps, _ := store.List(ctx, "orders-source")
	for _, p := range ps {
		fmt.Println(p.Partition, string(p.Offset))
	}
	// Output:
	// file:/var/log/a.log {"pos":4096}
	// file:/var/log/b.log {"pos":512}
}

func ExampleMemory() {
	ctx := context.Background()
	store := offset.NewMemory()
	defer store.Close()

	store.Put(ctx, "generator", connect.NewPosition("generator", 41))
	p, ok, _ := store.Get(ctx, "generator", "generator")
	var next int
	p.Decode(&next)
	fmt.Println(ok, next+1)
	// Output:
	// true 42
}
