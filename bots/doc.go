// Package bots will hold kehou's notifier channels, one sub-package per provider (WeChat
// subscribe messages, Tencent Cloud SMS, WeCom and DingTalk group robots, the sandbox outbox)
// behind one small interface, with per-channel rate limits. The server never calls a notifier
// directly: every message goes through a job in jobs/, so retries apply. The channels arrive
// with the notices issue; this package comment marks their place in the layout.
package bots
