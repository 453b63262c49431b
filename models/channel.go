package models

// Channel names, as stored on deliveries and notices and chosen by staff in fallback order.
// They live here, not in bots, so that the store and the server can name a channel without
// depending on the senders; cmd/kehou maps each name to its notifier.
const (
	ChannelSubscribe = "wxsubscribe" // WeChat mini-program subscribe message
	ChannelSMS       = "sms"
	ChannelWeCom     = "wecom"
	ChannelDingTalk  = "dingtalk"
)
