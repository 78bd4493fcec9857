package runtime

import (
	rtdebug "runtime/debug"
	"sync"
)

// modulePath is this module's path, to find its version in the build info.
const modulePath = "github.com/openmessaging/connect-go"

// Version returns the version of this module in the running binary (from
// its build info; "(devel)" when built inside the module) and, when built
// from a checkout, its VCS revision.
func Version() (version, commit string) { return buildVersion() }

var buildVersion = sync.OnceValues(func() (version, commit string) {
	version, commit = "(devel)", ""
	bi, ok := rtdebug.ReadBuildInfo()
	if !ok {
		return
	}
	if bi.Main.Path == modulePath {
		version = bi.Main.Version
	} else {
		for _, d := range bi.Deps {
			if d.Path == modulePath {
				version = d.Version
			}
		}
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && bi.Main.Path == modulePath {
			commit = s.Value
		}
	}
	if version == "" {
		version = "(devel)"
	}
	return version, commit
})

// GET /
