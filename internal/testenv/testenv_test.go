package testenv

import "testing"

func TestLookupReturnsSetVariables(t *testing.T) {
	t.Setenv("TESTENV_A", "1")
	t.Setenv("TESTENV_B", "2")
	got := Lookup(t, "nothing", "all", "TESTENV_A", "TESTENV_B")
	if len(got) != 2 || got[0] != "1" || got[1] != "2" {
		t.Fatalf("Lookup = %v", got)
	}
}

func TestLookupFailsInCI(t *testing.T) {
	t.Setenv("CI", "true")
	t.Setenv("TESTENV_MISSING", "")
	rec := &recorder{TB: t}
	func() {
		defer func() { recover() }() // Fatalf ends the call through the recorder
		Lookup(rec, "a service", "all", "TESTENV_MISSING")
	}()
	if !rec.fatal || rec.skipped {
		t.Fatalf("missing service under CI=true: fatal=%v skipped=%v", rec.fatal, rec.skipped)
	}
}

type recorder struct {
	testing.TB
	fatal, skipped bool
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(string, ...any) {
	r.fatal = true
	panic("fatal")
}
func (r *recorder) Skipf(string, ...any) {
	r.skipped = true
	panic("skip")
}
