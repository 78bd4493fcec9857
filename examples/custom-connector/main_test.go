package main

import (
	"bytes"
	"strings"
	"testing"
)

// Every number arrives once; numbers of one key (odd, even) in order.
func TestCustomConnectorMovesEveryNumber(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	var odd, even []string
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		switch {
		case strings.HasPrefix(line, "numbers: n="):
			n := strings.Fields(strings.TrimPrefix(line, "numbers: n="))[0]
			if strings.ContainsAny(n[len(n)-1:], "13579") {
				odd = append(odd, n)
			} else {
				even = append(even, n)
			}
		case line == "done: 10 records moved":
		default:
			t.Fatalf("unexpected line %q", line)
		}
	}
	if got := strings.Join(odd, ","); got != "1,3,5,7,9" {
		t.Errorf("odd numbers %s", got)
	}
	if got := strings.Join(even, ","); got != "2,4,6,8,10" {
		t.Errorf("even numbers %s", got)
	}
}
