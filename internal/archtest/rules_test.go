package archtest

import (
	"fmt"
	"slices"
	"strings"
)

const module = "github.com/openmessaging/connect-go"

// layer orders the module's packages; see the package doc.
type layer int

const (
	contracts layer = iota
	parts
	runtimeLayer
	restLayer
	workerLayer
	programs
)

// layers maps path prefixes (relative to the module) to layers, longest
// first; a package no prefix matches is in parts, the root in contracts.
var layers = []struct {
	prefix string
	layer  layer
}{
	{"runtime/rest", restLayer},
	{"runtime", runtimeLayer},
	{"worker", workerLayer},
	{"cmd", programs},
	{"examples", programs},
	{"bench", programs},
}

var testKits = []string{"connecttest", "transport/transporttest", "internal/testenv", "internal/exactsink"}

const direction = "connect <- converter, offset, transport/..., connectors, connecttest, internal/... <- runtime <- runtime/rest <- worker <- cmd, examples, bench"

// pkg is a package of the module as the rules see it.
type pkg struct {
	path        string   // relative to the module, "" for the root
	imports     []string // import paths, outside tests
	testImports []string // import paths of its tests (in-package and _test)
}

func under(rel, prefix string) bool {
	return rel == prefix || strings.HasPrefix(rel, prefix+"/")
}

func layerOf(rel string) layer {
	if rel == "" {
		return contracts
	}
	for _, l := range layers {
		if under(rel, l.prefix) {
			return l.layer
		}
	}
	return parts
}

func isTestKit(rel string) bool {
	return slices.ContainsFunc(testKits, func(k string) bool { return under(rel, k) })
}

// relative returns path relative to the module, and whether it is in it.
func relative(path string) (string, bool) {
	if path == module {
		return "", true
	}
	rel, ok := strings.CutPrefix(path, module+"/")
	return rel, ok
}

func name(rel string) string {
	if rel == "" {
		return "connect (the root package)"
	}
	return rel
}

// check returns one message per import that breaks a rule. standard tells
// whether an import path is in the standard library.
func check(pkgs []pkg, standard func(string) bool) []string {
	var bad []string
	report := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }
	for _, p := range pkgs {
		for _, imp := range p.imports {
			rel, inModule := relative(imp)
			switch {
			case p.path == "" && !standard(imp):
				report("%s imports %s: the contracts use the standard library only", name(p.path), imp)
			case !inModule:
			case layerOf(rel) == programs:
				report("%s imports %s: cmd/, examples/ and bench/ are programs, nothing imports them", name(p.path), name(rel))
			case layerOf(rel) > layerOf(p.path):
				report("%s imports %s: imports go one way only, %s", name(p.path), name(rel), direction)
			case isTestKit(rel) && !isTestKit(p.path) && layerOf(p.path) != programs:
				report("%s imports the test kit %s outside its tests", name(p.path), name(rel))
			}
		}
		for _, imp := range p.testImports {
			if rel, ok := relative(imp); ok && layerOf(rel) == programs {
				report("tests of %s import %s: cmd/, examples/ and bench/ are programs, nothing imports them", name(p.path), name(rel))
			}
		}
	}
	return bad
}
