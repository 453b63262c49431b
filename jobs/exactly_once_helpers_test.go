package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

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
			out[models.DeliveryID(n.ID, memberOf[body.ToUser], models.ChannelSubscribe)]++
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
			out[models.DeliveryID(n.ID, models.RobotMember(id), models.ChannelWeCom)]++
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
