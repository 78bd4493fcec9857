package runtime

import "github.com/openmessaging/connect-go/internal/buildinfo"

// Version returns the version of this module in the running binary (from
// its build info; "(devel)" when built inside the module) and, when built
// from a checkout, its VCS revision.
func Version() (version, commit string) {
	version, commit = buildinfo.Module()
	if version == "" {
		version = "(devel)"
	}
	return version, commit
}

// GET /
