package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// The quickstart moves every line in order, and a second run on the same
// directory resumes from the stored offsets instead of copying again.
func TestQuickstartMovesEveryLineOnce(t *testing.T) {
	dir := t.TempDir()
	if err := run(3000, dir); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "output.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		if want := fmt.Sprintf("line %d: the quick brown fox jumps over the lazy dog", n); sc.Text() != want {
			t.Fatalf("line %d = %q, want %q", n, sc.Text(), want)
		}
	}
	if n != 3000 {
		t.Fatalf("output has %d lines, want 3000", n)
	}
	if _, err := os.Stat(filepath.Join(dir, "offsets.json")); err != nil {
		t.Fatalf("offsets not stored: %v", err)
	}
}
