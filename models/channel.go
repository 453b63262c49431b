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

// ChannelEnum labels the channels; wecom and dingtalk are also the kinds of a group robot.
var ChannelEnum = NewEnum("channel", "Channel", "A sending channel; wecom and dingtalk are also the kinds of a group robot.",
	L(ChannelSubscribe, "小程序订阅消息"), L(ChannelSMS, "短信"), L(ChannelWeCom, "企业微信"), L(ChannelDingTalk, "钉钉"))
