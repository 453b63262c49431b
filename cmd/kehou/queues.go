package main

import (
	"fmt"

	"github.com/hibiken/asynqmon"
	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"

	"kehou/config"
	"kehou/jobs"
	"kehou/server"
)

// sharedRedis hands asynqmon the worker's Redis client instead of letting it dial its own pools
// (asynq.RedisConnOpt). asynqmon would close it on Close, which is never called: the client
// lives as long as the process, and infra.close closes it.
type sharedRedis struct{ c *redis.Client }

func (r sharedRedis) MakeRedisClient() any { return r.c }

// privatePayloads keeps families' answers out of the monitor: a survey answer's payload holds the
// family's ids beside what they answered (anonymous surveys included), so the monitor shows
// only its size. Other payloads name a notice, a channel or a batch, or are empty, and show as
// they are: what an operator needs to follow a send.
type privatePayloads struct{}

func (privatePayloads) FormatPayload(taskType string, payload []byte) string {
	switch taskType {
	case jobs.TypeSurveyAnswer, jobs.TypeSurveyAnswers:
		return fmt.Sprintf("（家长答卷，内容不显示，%d 字节）", len(payload))
	}
	return string(payload)
}

// mountQueues puts asynqmon at server.QueuesPath behind the queue monitor's ticket
// (server.MountQueues: city staff only). It only shows the queues unless KEHOU_QUEUES_READ_ONLY
// is false.
func mountQueues(cfg *config.Config, in *infra) func(e *echo.Echo, _ echo.MiddlewareFunc) {
	return func(e *echo.Echo, _ echo.MiddlewareFunc) {
		monitor := asynqmon.New(asynqmon.Options{RootPath: server.QueuesPath, RedisConnOpt: sharedRedis{in.rdb}, ReadOnly: cfg.QueuesReadOnly,
			PayloadFormatter: privatePayloads{}})
		server.MountQueues(e, in.store, in.pipe, monitor)
	}
}
