// Package archtest holds nothing but a test that keeps the module's
// dependency direction (see ARCHITECTURE.md): it reads the import graph with
// go list and fails on an import that goes the wrong way.
//
// # The rules
//
// Outside its tests, a package imports only packages of its own layer or a
// lower one. From the bottom up:
//
//  1. connect, the root package: the contracts. It imports the standard
//     library only.
//  2. Everything that implements or uses the contracts without running them:
//     converter, transforms, offset, transport/..., the connectors
//     (filestream, mysqlsource, mysqlsink), connecttest, internal/..., and any
//     new package not named below. So a connector never imports runtime.
//  3. runtime and its subpackages other than runtime/rest.
//  4. runtime/rest.
//  5. worker.
//  6. cmd/..., examples/... and bench/...: programs, imported by nothing,
//     tests included.
//
// The test kits (connecttest, transport/transporttest, internal/testenv,
// internal/exactsink) are imported only by tests, by each other and by the
// programs.
//
// Tests may import upwards (a transport's end-to-end test runs the runtime).
// A package under runtime/internal or worker/internal belongs to the layer
// of its parent.
package archtest
