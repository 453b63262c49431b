package main

import "kehou/bench/internal/cost"

// unitCosts are a measured round's Redis costs per accepted answer, from the benchmark's one
// meter (b.cost, hooked into the Redis client the API and the baseline share), so the figures
// are exact and include nothing of other processes.
type unitCosts struct {
	RedisCommands float64 // target ≤ 2 on the answer route
	RedisBatches  float64 // round trips per answer, shared by concurrent requests
}

// per divides what a round cost by the answers it accepted.
func per(c cost.Counts, accepted int) unitCosts {
	if accepted == 0 {
		return unitCosts{}
	}
	n := float64(accepted)
	return unitCosts{RedisCommands: float64(c.RedisCommands) / n, RedisBatches: float64(c.RedisRoundTrips) / n}
}
