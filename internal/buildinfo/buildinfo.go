// Package buildinfo reads this module's version from the running binary's
// build information, for the places that report it (the REST API's GET /,
// the MySQL source's source.version).
package buildinfo

import (
	"runtime/debug"
	"sync"
)

// modulePath is this module's path, to find its version in the build info.
const modulePath = "github.com/openmessaging/connect-go"

// Module returns the version of this module in the running binary: the
// main module's when the binary is built from it ("(devel)" inside a
// checkout), else the dependency's; "" when the build info has neither.
// commit is the VCS revision of a binary built from a checkout of the
// module, "" otherwise.
func Module() (version, commit string) { return read() }

var read = sync.OnceValues(func() (version, commit string) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "", ""
	}
	if bi.Main.Path == modulePath {
		version = bi.Main.Version
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				commit = s.Value
			}
		}
		return version, commit
	}
	for _, d := range bi.Deps {
		if d.Path == modulePath {
			version = d.Version
		}
	}
	return version, ""
})
