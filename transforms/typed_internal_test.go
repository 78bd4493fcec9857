package transforms

import (
	"errors"
	"testing"

	connect "github.com/openmessaging/connect-go"
)

// A schemaCache derives once per key, keeps no more than schemaCacheSize
// entries, and keeps no error.
func TestSchemaCache(t *testing.T) {
	var c schemaCache[*connect.Schema, int]
	calls := 0
	derive := func(*connect.Schema) (int, error) { calls++; return calls, nil }
	a, b := &connect.Schema{Type: connect.TypeString}, &connect.Schema{Type: connect.TypeString}
	for range 3 {
		if v, _ := c.get(a, derive); v != 1 {
			t.Fatalf("a gave %d, want 1", v)
		}
		if v, _ := c.get(b, derive); v != 2 {
			t.Fatalf("b gave %d, want 2", v)
		}
	}
	if calls != 2 {
		t.Fatalf("%d derivations for 2 schemas", calls)
	}
	for range 10 * schemaCacheSize {
		c.get(&connect.Schema{}, derive)
		if len(c.m) > schemaCacheSize {
			t.Fatalf("%d entries, bound %d", len(c.m), schemaCacheSize)
		}
	}
	failing := func(*connect.Schema) (int, error) { calls++; return 0, errors.New("no") }
	calls = 0
	for range 2 {
		if _, err := c.get(a, failing); err == nil && calls > 0 {
			t.Fatal("no error")
		}
	}
	if calls != 2 {
		t.Fatalf("an error was kept: %d derivations", calls)
	}
}
