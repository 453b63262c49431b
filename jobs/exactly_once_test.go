package jobs

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"kehou/bots/outbox"
	"kehou/bots/sms"
	"kehou/bots/wecom"
	"kehou/models"
	"kehou/wechat/wxfake"
)

// Send tasks repeated and raced (three workers, copies under other ids, direct runs of the
// handler, the reconciler re-enqueuing and re-fanning out meanwhile), on the SMS fake with
// transient failures, two group robots, and the sandbox outbox standing in for subscribe
// messages: each delivery arrives once, nothing is lost, the ledger lists each once.
func TestSendsRepeatedAndRacedArriveOnce(t *testing.T) {
	n := recipients() / 4
	e := newBC(t, n)
	ctx := context.Background()
	e.sms.FailRate("InternalError.Timeout", 0.1)
	e.h.SendChunk = 50 // many batches, so that races are many
	e.h.Notifiers[models.ChannelWeCom] = wecom.New(e.wx.HTTPClient())
	e.h.Notifiers[models.ChannelSubscribe] = outbox.New(models.ChannelSubscribe, OutboxSink{Store: e.st})
	e.h.RobotPerMin = 20
	robots := map[string]string{}
	var robotIDs []string
	for i := range 2 {
		r := models.Robot{SchoolID: e.school.ID, CountyID: e.school.CountyID, Kind: models.ChannelWeCom, Name: fmt.Sprint("群", i)}
		key := fmt.Sprint("robot-key-", i)
		must(t, e.st.CreateRobot(ctx, &r, key, ""))
		robots[key] = r.ID
		robotIDs = append(robotIDs, r.ID)
	}
	for _, m := range e.members {
		must(t, e.st.GrantConsent(ctx, m.ID, "tmpl-notice", false))
	}
	for range 3 {
		e.start()
	}
	rec := *e.h
	rec.StallAfter, rec.QueuedAfter = time.Nanosecond, time.Nanosecond
	reconcileEvery(t, rec, 200*time.Millisecond)

	bySMS := e.noticeWith("短信通知", []string{models.ChannelSMS}, robotIDs)
	byOutbox := e.noticeWith("订阅通知", []string{models.ChannelSubscribe}, nil)
	stop := make(chan struct{})
	racers := []*sync.WaitGroup{e.raceSends(bySMS, stop), e.raceSends(byOutbox, stop)}
	e.settle(bySMS, 120*time.Second)
	e.settle(byOutbox, 120*time.Second)
	close(stop)
	for _, r := range racers {
		r.Wait()
	}
	for _, c := range []struct {
		n    models.Notice
		want int
	}{{bySMS, n + len(robotIDs)}, {byOutbox, n}} {
		status, _ := e.onceEach(c.n, c.want, robots)
		if status[models.DeliverySent] != c.want {
			t.Fatalf("%s: %v, want all %d sent: nobody died, so nothing may be unknown", c.n.Title, status, c.want)
		}
	}
}

// A worker stopped during the provider call: the SMS fake has accepted the messages in flight
// and holds its answers, the worker's shutdown cancels the calls, and asynq hands the tasks to
// the next worker. The design records the interrupted calls unknown (they may have gone out:
// here they did) and never sends them again; calls not yet started stay queued and are sent.
func TestWorkerStoppedMidCallSendsNothingTwice(t *testing.T) {
	n := recipients() / 4
	e := newBC(t, n)
	e.sms.HoldAnswers(time.Hour)
	e.h.SendingAfter = 2 * time.Second // the workers' and the reconciler's lock lifetime
	stopA := e.start()
	notice := e.notice(models.ChannelSMS)
	waitFor(t, 60*time.Second, "messages in flight", func() bool { return len(e.sms.Sent()) >= 20 })
	stopA()
	e.sms.HoldAnswers(0)
	e.start()
	rec := *e.h
	rec.StallAfter, rec.QueuedAfter = time.Second, time.Second
	reconcileEvery(t, rec, 200*time.Millisecond)
	e.settle(notice, 120*time.Second)
	status, unknownArrived := e.onceEach(notice, n, nil)
	// The stopped worker records its interrupted calls unknown and leaves the rest queued
	// before the next one may take the batch: only calls in flight can be unknown.
	if status[models.DeliveryUnknown] == 0 || status[models.DeliveryUnknown] > 3*sendParallel ||
		status[models.DeliverySent]+status[models.DeliveryUnknown] != n {
		t.Fatalf("ledger %v: the interrupted calls must be unknown, the rest sent", status)
	}
	t.Logf("ledger %v; %d of the unknown ones reached the provider", status, unknownArrived)
}

// A provider slower than the send lock's lifetime, with the reconciler running and re-enqueuing
// the waiting batches meanwhile: the sender renews its lock, so nobody presumes it dead,
// everyone gets the notice once, and nothing is unknown.
func TestSlowProviderOutlivesTheLock(t *testing.T) {
	n := recipients() / 10
	e := newBC(t, n)
	e.sms.HoldAnswers(time.Second)
	e.h.SendingAfter = 300 * time.Millisecond // the lock's lifetime; each call takes longer
	e.start()
	rec := *e.h
	rec.StallAfter, rec.QueuedAfter = 300*time.Millisecond, 300*time.Millisecond
	reconcileEvery(t, rec, 100*time.Millisecond)
	notice := e.notice(models.ChannelSMS)
	e.settle(notice, 120*time.Second)
	status, _ := e.onceEach(notice, n, nil)
	if status[models.DeliverySent] != n {
		t.Fatalf("ledger %v, want all %d sent", status, n)
	}
}

// A sender presumed dead while its provider calls are merely slow (it does not renew its lock
// in time): the reconciler takes its batches over and records what it was sending unknown;
// the sender's own outcomes, written late, change nothing, and nobody sends those again.
func TestPresumedDeadSenderIsNotSentTwice(t *testing.T) {
	n := recipients() / 10
	e := newBC(t, n)
	e.sms.HoldAnswers(time.Second)
	e.h.SendingAfter = time.Hour // renews every quarter hour: never, in this test
	e.start()
	rec := *e.h
	rec.StallAfter, rec.QueuedAfter, rec.SendingAfter = 200*time.Millisecond, 200*time.Millisecond, 200*time.Millisecond
	reconcileEvery(t, rec, 100*time.Millisecond)
	notice := e.notice(models.ChannelSMS)
	e.settle(notice, 120*time.Second)
	// The presumed-dead sender goes on with its claim; nobody else sends it. Once every
	// number has its message, none gets a second one.
	waitFor(t, 120*time.Second, "every message to arrive", func() bool { return len(e.sms.Sent()) >= n })
	status, unknownArrived := e.onceEach(notice, n, nil)
	if status[models.DeliveryUnknown] == 0 || status[models.DeliverySent]+status[models.DeliveryUnknown] != n {
		t.Fatalf("ledger %v: the slow sends must be unknown, the rest sent", status)
	}
	t.Logf("ledger %v; %d of the unknown ones reached the provider", status, unknownArrived)
}

// A provider that answers later than the client waits: the message went out, the client saw a
// timeout. The design records such a call unknown instead of sending it again.
func TestClientTimeoutIsNotSentAgain(t *testing.T) {
	n := recipients() / 10
	e := newBC(t, n)
	impatient, err := sms.New(sms.Config{Endpoint: e.sms.URL(), Region: "ap-guangzhou", SecretID: "AKIDtest", SecretKey: "secret-key",
		SdkAppID: "1400000000", SignName: "课后服务", HTTPClient: &http.Client{Timeout: 500 * time.Millisecond}})
	must(t, err)
	e.h.Notifiers[models.ChannelSMS] = impatient
	e.sms.HoldAnswers(2 * time.Second)
	e.start()
	notice := e.notice(models.ChannelSMS)
	waitFor(t, 120*time.Second, "messages sent while the answers are late", func() bool { return len(e.sms.Sent()) >= 10 })
	e.sms.HoldAnswers(0)
	e.settle(notice, 120*time.Second)
	status, unknownArrived := e.onceEach(notice, n, nil)
	if unknownArrived == 0 || status[models.DeliverySent]+status[models.DeliveryUnknown] != n {
		t.Fatalf("ledger %v, %d unknown arrived: the timed-out calls must be unknown, the rest sent", status, unknownArrived)
	}
	t.Logf("ledger %v; %d of the unknown ones reached the provider", status, unknownArrived)
}

// The same on WeChat subscribe messages: the fake WeChat receives each message and holds its
// answer; the worker stops; the next one sends the rest. The fake keeps the last 1000 requests,
// so this broadcast stays under that.
func TestWorkerStoppedMidSubscribeCallSendsNothingTwice(t *testing.T) {
	n := recipients() / 10
	e := newBC(t, n)
	ctx := context.Background()
	for _, m := range e.members {
		must(t, e.st.GrantConsent(ctx, m.ID, "tmpl-notice", false))
	}
	e.wx.Delay(wxfake.EpSubscribeSend, time.Hour)
	e.h.SendingAfter = 2 * time.Second // the workers' and the reconciler's lock lifetime
	stopA := e.start()
	notice := e.notice(models.ChannelSubscribe)
	waitFor(t, 60*time.Second, "messages in flight", func() bool { return len(e.wx.Requests(wxfake.EpSubscribeSend)) >= 20 })
	stopA()
	e.wx.Delay(wxfake.EpSubscribeSend, 0)
	e.start()
	rec := *e.h
	rec.StallAfter, rec.QueuedAfter = time.Second, time.Second
	reconcileEvery(t, rec, 200*time.Millisecond)
	e.settle(notice, 120*time.Second)
	status, unknownArrived := e.onceEach(notice, n, nil)
	// The stopped worker records its interrupted calls unknown and leaves the rest queued
	// before the next one may take the batch: only calls in flight can be unknown.
	if status[models.DeliveryUnknown] == 0 || status[models.DeliveryUnknown] > 3*sendParallel ||
		status[models.DeliverySent]+status[models.DeliveryUnknown] != n {
		t.Fatalf("ledger %v: the interrupted calls must be unknown, the rest sent", status)
	}
	t.Logf("ledger %v; %d of the unknown ones reached WeChat", status, unknownArrived)
}
