//go:build race

package main

// raceEnabled builds the binary under test with -race too, which reuses the
// packages the test binary was compiled with.
const raceEnabled = true
