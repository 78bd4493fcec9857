// Package heapwatch samples the Go heap while a benchmark runs, for the
// commands under bench/.
package heapwatch
