package main

import (
	"github.com/hibiken/asynqmon"
	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"

	"kehou/config"
	"kehou/server"
)

// sharedRedis hands asynqmon the worker's Redis client instead of letting it dial its own pools
// (asynq.RedisConnOpt). asynqmon would close it on Close, which is never called: the client
// lives as long as the process, and infra.close closes it.
type sharedRedis struct{ c *redis.Client }

func (r sharedRedis) MakeRedisClient() any { return r.c }

// mountQueues puts asynqmon at server.QueuesPath behind the queue monitor's ticket
// (server.MountQueues: city staff only). It only shows the queues unless KEHOU_QUEUES_READ_ONLY
// is false.
func mountQueues(cfg *config.Config, in *infra) func(e *echo.Echo, _ echo.MiddlewareFunc) {
	return func(e *echo.Echo, _ echo.MiddlewareFunc) {
		monitor := asynqmon.New(asynqmon.Options{RootPath: server.QueuesPath, RedisConnOpt: sharedRedis{in.rdb}, ReadOnly: cfg.QueuesReadOnly})
		server.MountQueues(e, in.store, in.pipe, monitor)
	}
}
