package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"kehou/bots"
	"kehou/bots/outbox"
	"kehou/bots/sms"
	"kehou/bots/wecom"
	"kehou/models"
	"kehou/wechat/wxfake"
)

// The invariant a family cares about is checked where the messages arrive: the fake SMS
// endpoint (by SessionContext, which carries the delivery id), the sandbox outbox (by Ref), the
// fake WeChat's subscribe messages (by openid and the notice's page) and its robot endpoint
// (by webhook key), whatever the ledger says.

// arrived counts the messages of notice n that reached a provider, by delivery id.
func (e *bcEnv) arrived(n models.Notice, robots map[string]string) map[string]int {
	e.t.Helper()
	out := map[string]int{}
	for _, m := range e.sms.Sent() {
		if noticeOf(m.SessionContext) == n.ID {
			out[m.SessionContext]++
		}
	}
	p := storePage()
	for {
		msgs, next, err := e.obs.Outbox(context.Background(), n.ID, p)
		must(e.t, err)
		for _, m := range msgs {
			out[m.Ref]++
		}
		if next == "" {
			break
		}
		p.Cursor = next
	}
	memberOf := map[string]string{}
	for _, m := range e.members {
		memberOf[m.OpenID] = m.ID
	}
	for _, r := range e.wx.Requests(wxfake.EpSubscribeSend) {
		var body struct {
			ToUser string `json:"touser"`
			Page   string `json:"page"`
		}
		_ = json.Unmarshal(r.Body, &body)
		if strings.HasSuffix(body.Page, "?id="+n.ID) {
			out[models.DeliveryID(n.ID, memberOf[body.ToUser], bots.ChannelSubscribe)]++
		}
	}
	for _, r := range e.wx.Requests(wxfake.EpWeComRobot) {
		var body struct {
			Markdown struct {
				Content string `json:"content"`
			} `json:"markdown"`
		}
		_ = json.Unmarshal(r.Body, &body)
		if id, ok := robots[r.Query.Get("key")]; ok && strings.Contains(body.Markdown.Content, n.Title) {
			out[models.DeliveryID(n.ID, models.RobotMember(id), bots.ChannelWeCom)]++
		}
	}
	return out
}

func noticeOf(deliveryID string) string {
	id, _, _ := strings.Cut(deliveryID, ":")
	return id
}

// onceEach asserts the end state of notice n with want deliveries: no delivery reached its
// provider twice; the ledger lists each delivery once and none still queued; every delivery
// recorded sent arrived once and every one failed or skipped never did; one that did not
// arrive is recorded unknown at worst (an interrupted send), never lost. It returns the
// ledger's count by status, and how many unknown ones arrived.
func (e *bcEnv) onceEach(n models.Notice, want int, robots map[string]string) (map[string]int, int) {
	e.t.Helper()
	got := e.arrived(n, robots)
	for id, k := range got {
		if k != 1 {
			e.t.Fatalf("%s reached the provider %d times", id, k)
		}
	}
	seen := map[string]bool{}
	status := map[string]int{}
	unknownArrived := 0
	p := storePage()
	for {
		ds, next, err := e.obs.DeliveriesOfNotice(context.Background(), n.ID, "", p)
		must(e.t, err)
		for _, d := range ds {
			if seen[d.ID] {
				e.t.Fatalf("the ledger lists %s twice", d.ID)
			}
			seen[d.ID] = true
			status[d.Status]++
			switch d.Status {
			case models.DeliverySent:
				if got[d.ID] != 1 {
					e.t.Fatalf("%s is sent but arrived %d times", d.ID, got[d.ID])
				}
			case models.DeliveryFailed, models.DeliverySkipped:
				if got[d.ID] != 0 {
					e.t.Fatalf("%s is %s but arrived", d.ID, d.Status)
				}
			case models.DeliveryUnknown:
				if d.Reason == "" {
					e.t.Fatalf("%s is unknown without a reason", d.ID)
				}
				unknownArrived += got[d.ID]
			default:
				e.t.Fatalf("%s is still %s", d.ID, d.Status)
			}
		}
		if next == "" {
			break
		}
		p.Cursor = next
	}
	if len(seen) != want {
		e.t.Fatalf("the ledger lists %d deliveries, want %d (%v)", len(seen), want, status)
	}
	for id := range got {
		if !seen[id] {
			e.t.Fatalf("%s arrived but is not in the ledger", id)
		}
	}
	return status, unknownArrived
}

// reconcileEvery runs the reconciler h every d until the test ends: what the minutely task
// does in production, more often and with the thresholds h gives.
func reconcileEvery(t *testing.T, h Handlers, d time.Duration) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			case <-time.After(d):
				_ = h.HandleNoticeReconcile(context.Background(), NewNoticeReconcileTask())
			}
		}
	}()
	t.Cleanup(func() { close(done); wg.Wait() })
}

// waitFor polls cond until it holds, failing the test after timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// noticeWith publishes a notice to grade 3 on channels and to robots.
func (e *bcEnv) noticeWith(title string, channels []string, robots []string) models.Notice {
	e.t.Helper()
	n := models.Notice{SchoolID: e.school.ID, CountyID: e.school.CountyID, Sender: e.school.Name, Kind: models.NoticeOpenDay,
		Title: title, Body: "欢迎各位家长来校参加开放日。", Channels: channels, Robots: robots,
		Audience: models.Audience{Kind: models.AudienceGrades, Grades: []int{3}}}
	ctx := context.Background()
	must(e.t, e.st.CreateNotice(ctx, &n))
	task, opts := NewNoticeFanoutTask(n, "")
	_, err := e.queue.EnqueueContext(ctx, task, append(opts, asynq.ProcessAt(time.Now()))...)
	must(e.t, err)
	return n
}

// raceSends runs every open send batch of notice n again while the workers send it: copies of
// its task under other ids (as the reconciler and retries enqueue them) and direct runs of the
// handler, until stop closes.
func (e *bcEnv) raceSends(n models.Notice, stop <-chan struct{}) *sync.WaitGroup {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for round := 0; ; round++ {
			select {
			case <-stop:
				return
			default:
			}
			ctx := context.Background()
			open, err := e.obs.StuckBatches(ctx, e.h.now().Add(time.Hour), 1000)
			if err != nil {
				continue
			}
			var runs sync.WaitGroup
			for _, b := range open {
				if b.NoticeID != n.ID {
					continue
				}
				p := sendPayload{b.NoticeID, b.Channel, b.ID}
				task, opts := newSendTask(p, fmt.Sprintf("%s:dup%d", b.ID, round), 0)
				_ = e.h.enqueue(ctx, task, opts)
				runs.Add(1)
				go func() {
					defer runs.Done()
					_ = e.h.HandleNoticeSend(ctx, task)
				}()
			}
			runs.Wait()
			time.Sleep(20 * time.Millisecond) // a breath between rounds for the workers
		}
	}()
	return &wg
}

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
	e.h.Notifiers[bots.ChannelWeCom] = wecom.New(e.wx.HTTPClient())
	e.h.Notifiers[bots.ChannelSubscribe] = outbox.New(bots.ChannelSubscribe, e.st)
	e.h.RobotPerMin = 20
	robots := map[string]string{}
	var robotIDs []string
	for i := range 2 {
		r := models.Robot{SchoolID: e.school.ID, CountyID: e.school.CountyID, Kind: bots.ChannelWeCom, Name: fmt.Sprint("群", i)}
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

	bySMS := e.noticeWith("短信通知", []string{bots.ChannelSMS}, robotIDs)
	byOutbox := e.noticeWith("订阅通知", []string{bots.ChannelSubscribe}, nil)
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
	notice := e.notice(bots.ChannelSMS)
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
	notice := e.notice(bots.ChannelSMS)
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
	notice := e.notice(bots.ChannelSMS)
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
	e.h.Notifiers[bots.ChannelSMS] = impatient
	e.sms.HoldAnswers(2 * time.Second)
	e.start()
	notice := e.notice(bots.ChannelSMS)
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
	notice := e.notice(bots.ChannelSubscribe)
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
