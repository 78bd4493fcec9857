//go:build !race

package mysqlsource

const raceEnabled = false
