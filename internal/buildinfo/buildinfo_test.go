package buildinfo

import "testing"

// Inside the module's own test binary the main module is this one, built
// from a checkout: its version is "(devel)" (or a pseudo-version with
// -buildvcs), never empty.
func TestModuleInsideTheModule(t *testing.T) {
	v, _ := Module()
	if v == "" {
		t.Error("no version of the main module in a test binary")
	}
}
