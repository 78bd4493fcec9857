//go:build race

package mysqlsource

// raceEnabled: the race detector changes allocation counts.
const raceEnabled = true
