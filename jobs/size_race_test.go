//go:build race

package jobs

// The race detector makes the embedded store several times slower, so under -race the
// broadcast tests run on fewer recipients; `make test` also runs them at full size without
// -race (see the Makefile).
const raceScale = true
