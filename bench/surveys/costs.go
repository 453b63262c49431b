package main

import (
	"context"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// The engine-neutral costs of a measured phase, per accepted answer: what predicts the cost on
// production Redis (and, later, MongoDB) whatever the embedded store's speed. Counted on the
// client side, on the Redis client the API and the baseline share, so the figures are exact
// and include nothing of other processes.

// redisMeter counts the commands sent through a Redis client (alone or in autopipelined
// batches) and the batches (one write and one read each: the round trips, which concurrent
// requests share).
type redisMeter struct{ commands, batches atomic.Int64 }

func (m *redisMeter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (m *redisMeter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		m.commands.Add(1)
		m.batches.Add(1)
		return next(ctx, cmd)
	}
}

func (m *redisMeter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		m.commands.Add(int64(len(cmds)))
		m.batches.Add(1)
		return next(ctx, cmds)
	}
}

// costs is a snapshot of the meters.
type costs struct{ redisCommands, redisBatches int64 }

func (m *redisMeter) snapshot() costs {
	return costs{redisCommands: m.commands.Load(), redisBatches: m.batches.Load()}
}

// unitCosts are the costs of a phase divided by the answers it accepted.
type unitCosts struct {
	RedisCommands float64 // target ≤ 2 on the answer route
	RedisBatches  float64 // round trips per answer, shared by concurrent requests
}

// per is the cost between two snapshots, per accepted answer.
func per(before, after costs, accepted int) unitCosts {
	if accepted == 0 {
		return unitCosts{}
	}
	n := float64(accepted)
	return unitCosts{RedisCommands: float64(after.redisCommands-before.redisCommands) / n,
		RedisBatches: float64(after.redisBatches-before.redisBatches) / n}
}
