package cost

import (
	"flag"
	"fmt"

	"kehou/devstack"
	"kehou/store/engine"
)

// SwitchesFlag adds -switches to the command line and returns what it chose, once parsed: the
// store's engine switches the benchmark runs with. "embedded" (the default) tunes the store as
// kehou run does on the embedded store; "production" takes MongoDB's position, whose command
// counts are the ones that predict the cost on MongoDB (point reads, for one, turn one query
// into one per id).
func SwitchesFlag() func() (engine.Tuning, error) {
	v := flag.String("switches", "embedded", "the store's engine switches: embedded (as kehou run on the embedded store) or production (as on MongoDB)")
	return func() (engine.Tuning, error) {
		switch *v {
		case "embedded":
			return devstack.StoreTuning(), nil
		case "production":
			return engine.Production, nil
		}
		return engine.Tuning{}, fmt.Errorf("-switches %q: want embedded or production", *v)
	}
}
