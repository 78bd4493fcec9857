package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestDependencyDirection checks the module's import graph against the rules
// of the package doc.
func TestDependencyDirection(t *testing.T) {
	pkgs, standard := loadModule(t)
	for _, msg := range check(pkgs, standard) {
		t.Error(msg)
	}
}

// loadModule lists the module's packages with go list, and which import
// paths are in the standard library.
func loadModule(t *testing.T) ([]pkg, func(string) bool) {
	t.Helper()
	goBin, err := exec.LookPath("go") // go test puts GOROOT/bin first in PATH
	if err != nil {
		t.Fatalf("find the go command: %v", err)
	}
	// -e: a package that does not compile still shows its imports.
	cmd := exec.Command(goBin, "list", "-e", "-deps", "-json", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	var pkgs []pkg
	std := map[string]bool{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			ImportPath                         string
			Standard                           bool
			Imports, TestImports, XTestImports []string
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		std[p.ImportPath] = p.Standard
		if rel, ok := relative(p.ImportPath); ok {
			pkgs = append(pkgs, pkg{
				path:        rel,
				imports:     p.Imports,
				testImports: slices.Concat(p.TestImports, p.XTestImports),
			})
		}
	}
	// Guard against a pattern that matched less than the module.
	for _, want := range []string{"", "runtime", "converter"} {
		if !slices.ContainsFunc(pkgs, func(p pkg) bool { return p.path == want }) {
			t.Fatalf("go list did not list %s", name(want))
		}
	}
	// "C" (cgo) is not a package go list reports.
	return pkgs, func(path string) bool { return std[path] || path == "C" }
}

// TestRulesCatch shows that each rule fails an import that breaks it.
func TestRulesCatch(t *testing.T) {
	std := func(path string) bool { return !strings.Contains(strings.Split(path, "/")[0], ".") }
	m := func(rel string) string {
		if rel == "" {
			return module
		}
		return module + "/" + rel
	}
	tests := []struct {
		name    string
		pkg     pkg
		wantBad bool
	}{
		{"root imports std", pkg{path: "", imports: []string{"context", "errors"}}, false},
		{"root imports a dependency", pkg{path: "", imports: []string{"github.com/google/uuid"}}, true},
		{"root imports converter", pkg{path: "", imports: []string{m("converter")}}, true},
		{"connector imports connect", pkg{path: "filestream", imports: []string{m(""), "os"}}, false},
		{"connector imports runtime", pkg{path: "filestream", imports: []string{m("runtime")}}, true},
		{"new connector imports runtime", pkg{path: "httpsource", imports: []string{m("runtime")}}, true},
		{"transport imports runtime", pkg{path: "transport/memory", imports: []string{m("runtime")}}, true},
		{"internal imports runtime", pkg{path: "internal/offsets", imports: []string{m("runtime")}}, true},
		{"connecttest imports runtime", pkg{path: "connecttest", imports: []string{m("runtime")}}, true},
		{"runtime imports transport/memory", pkg{path: "runtime", imports: []string{m("transport/memory"), m("internal/offsets")}}, false},
		{"runtime imports runtime/rest", pkg{path: "runtime", imports: []string{m("runtime/rest")}}, true},
		{"runtime imports worker", pkg{path: "runtime", imports: []string{m("worker")}}, true},
		{"runtime subpackage imports runtime/rest", pkg{path: "runtime/cluster", imports: []string{m("runtime/rest")}}, true},
		{"runtime/rest imports runtime", pkg{path: "runtime/rest", imports: []string{m("runtime"), m("internal/redact")}}, false},
		{"runtime/rest imports worker", pkg{path: "runtime/rest", imports: []string{m("worker")}}, true},
		{"worker imports runtime/rest", pkg{path: "worker", imports: []string{m("runtime/rest"), m("filestream")}}, false},
		{"worker/internal imports worker", pkg{path: "worker/internal/flags", imports: []string{m("worker")}}, false},
		{"worker imports cmd", pkg{path: "worker", imports: []string{m("cmd/connectd")}}, true},
		{"examples import examples", pkg{path: "examples/quickstart", imports: []string{m("examples/custom-connector")}}, true},
		{"test imports cmd", pkg{path: "runtime", testImports: []string{m("cmd/connectd")}}, true},
		{"transport test imports runtime", pkg{path: "transport/rocketmq", testImports: []string{m("runtime"), m("connecttest")}}, false},
		{"runtime imports connecttest", pkg{path: "runtime", imports: []string{m("connecttest")}}, true},
		{"worker imports transporttest", pkg{path: "worker", imports: []string{m("transport/transporttest")}}, true},
		{"filestream imports testenv", pkg{path: "filestream", imports: []string{m("internal/testenv")}}, true},
		{"bench imports connecttest", pkg{path: "bench/pipeline", imports: []string{m("connecttest"), m("runtime")}}, false},
		{"cmd imports worker", pkg{path: "cmd/connectd", imports: []string{m("worker")}}, false},
	}
	for _, tt := range tests {
		bad := check([]pkg{tt.pkg}, std)
		if gotBad := len(bad) > 0; gotBad != tt.wantBad {
			t.Errorf("%s: violations %q, want some: %v", tt.name, bad, tt.wantBad)
		}
	}
}
