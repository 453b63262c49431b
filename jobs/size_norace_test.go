//go:build !race

package jobs

const raceScale = false
