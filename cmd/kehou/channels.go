package main

import (
	"fmt"
	"net/http"
	"time"

	"kehou/bots"
	"kehou/bots/dingtalk"
	"kehou/bots/outbox"
	"kehou/bots/sms"
	"kehou/bots/wecom"
	"kehou/bots/wxsubscribe"
	"kehou/config"
	"kehou/jobs"
	"kehou/models"
	"kehou/report"
)

// notifiers picks each channel's sender: the real provider when configured, the outbox in
// sandbox mode (so everything runs, and can be read, without credentials).
func notifiers(cfg *config.Config, in *infra) (map[string]bots.Notifier, error) {
	out := map[string]bots.Notifier{}
	sink := jobs.OutboxSink{Store: in.store}
	if cfg.Sandbox() {
		out[models.ChannelSubscribe] = outbox.New(models.ChannelSubscribe, sink)
	} else {
		out[models.ChannelSubscribe] = wxsubscribe.New(in.wx)
	}
	// Robot webhooks are configured by staff, not by the operator: in sandbox mode they go to
	// the outbox too, so a demo never posts into a real group.
	if cfg.Sandbox() {
		out[models.ChannelWeCom] = outbox.New(models.ChannelWeCom, sink)
		out[models.ChannelDingTalk] = outbox.New(models.ChannelDingTalk, sink)
	} else {
		robotHTTP := &http.Client{Timeout: 10 * time.Second}
		out[models.ChannelWeCom] = wecom.New(robotHTTP)
		out[models.ChannelDingTalk] = dingtalk.New(robotHTTP)
	}
	if cfg.SandboxSMS() {
		out[models.ChannelSMS] = outbox.New(models.ChannelSMS, sink)
	} else {
		c, err := sms.New(sms.Config{Endpoint: cfg.SMSEndpoint, Region: cfg.SMSRegion, SecretID: cfg.SMSSecretID,
			SecretKey: cfg.SMSSecretKey, SdkAppID: cfg.SMSAppID, SignName: cfg.SMSSignName})
		if err != nil {
			return nil, fmt.Errorf("sms: %w", err)
		}
		out[models.ChannelSMS] = c
	}
	return out, nil
}

// channelOrder is the order channels are offered to staff.
var channelOrder = []string{models.ChannelSubscribe, models.ChannelSMS}

// handlers builds the task handlers from the configuration.
func handlers(cfg *config.Config, in *infra, queue jobs.Enqueuer) (*jobs.Handlers, error) {
	ns, err := notifiers(cfg, in)
	if err != nil {
		return nil, err
	}
	wx, err := cfg.Templates()
	if err != nil {
		return nil, err
	}
	smsT, err := cfg.SMSTemplateSet()
	if err != nil {
		return nil, err
	}
	return &jobs.Handlers{Store: in.store, Reports: report.New(in.store), Queue: queue, Redis: in.rdb, Notifiers: ns, WxTemplates: wx,
		SMSTemplates: smsT, SMSInterval: cfg.SMSInterval, SMSDaily: cfg.SMSDaily, RobotPerMin: cfg.RobotPerMin}, nil
}
