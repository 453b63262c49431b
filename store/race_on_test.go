//go:build race

package store

// raceEnabled shrinks the crowds of the concurrency tests: the embedded store is slow under -race.
const raceEnabled = true
