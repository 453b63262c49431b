package jobs

import (
	"context"
	"encoding/json"
	"maps"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"kehou/bots"
	"kehou/models"
	"kehou/store"
	"kehou/wechat/wxfake"
)

// sentPerPhone counts what the fake SMS endpoint accepted, by number.
func (e *bcEnv) sentPerPhone() map[string]int {
	out := map[string]int{}
	for _, m := range e.sms.Sent() {
		out[m.Phone]++
	}
	return out
}

func TestBroadcastWithTransientFailuresDeliversEachOnce(t *testing.T) {
	n := recipients()
	e := newBC(t, n)
	e.sms.FailRate("InternalError.Timeout", 0.1)
	e.start()
	notice := e.notice(models.ChannelSMS)
	rep := e.settle(notice, 300*time.Second)
	if rep.Targeted != n || rep.Channels[models.ChannelSMS][models.DeliverySent] != n {
		t.Fatalf("report: %+v", rep)
	}
	got := e.sentPerPhone()
	if len(got) != n {
		t.Fatalf("fake received %d numbers, want %d", len(got), n)
	}
	for phone, k := range got {
		if k != 1 {
			t.Fatalf("%s received %d messages", phone, k)
		}
	}
}

func TestSubscribeBroadcastRetriesAndRefreshesTokenOnce(t *testing.T) {
	n := recipients() / 6
	e := newBC(t, n)
	ctx := context.Background()
	for _, m := range e.members {
		must(t, e.st.GrantConsent(ctx, m.ID, "tmpl-notice", false))
	}
	// A token is cached, then WeChat issues a newer one elsewhere: every send gets 40001 once.
	if _, err := e.wxc.AccessToken(ctx); err != nil {
		t.Fatal(err)
	}
	tokensBefore := len(e.wx.Requests(wxfake.EpToken))
	if resp, err := e.wx.HTTPClient().Get("https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential&appid=wxtest&secret=s"); err == nil {
		resp.Body.Close()
	}
	e.wx.FailNext(wxfake.EpSubscribeSend, -1, n/10) // and the first tenth hit "system busy"
	e.start()
	notice := e.notice(models.ChannelSubscribe)
	rep := e.settle(notice, 300*time.Second)
	if rep.Channels[models.ChannelSubscribe][models.DeliverySent] != n {
		t.Fatalf("report: %+v", rep)
	}
	if fetched := len(e.wx.Requests(wxfake.EpToken)) - tokensBefore - 1; fetched != 1 {
		t.Fatalf("token fetched %d times after the 40001s, want exactly once", fetched)
	}
	ok := map[string]int{}
	for _, r := range e.wx.Requests(wxfake.EpSubscribeSend) {
		var body struct {
			ToUser string                       `json:"touser"`
			Data   map[string]map[string]string `json:"data"`
		}
		_ = json.Unmarshal(r.Body, &body)
		ok[body.ToUser]++
		if len([]rune(body.Data["thing1"]["value"])) > 20 {
			t.Fatalf("thing value longer than 20: %q", body.Data["thing1"]["value"])
		}
	}
	if len(ok) != n {
		t.Fatalf("subscribe messages reached %d openids, want %d", len(ok), n)
	}
	// One credit each was spent: a second notice has none left and is skipped.
	second := e.notice(models.ChannelSubscribe)
	rep = e.settle(second, 300*time.Second)
	if rep.Channels[models.ChannelSubscribe][models.DeliverySkipped] != n || rep.Reasons[bots.ReasonNoConsent] != n {
		t.Fatalf("second notice without credits: %+v", rep)
	}
}

func TestNoConsentFallsBackToSMSAnd43101ClearsCredits(t *testing.T) {
	e := newBC(t, 4)
	ctx := context.Background()
	// Parent 0 has two credits, parent 1 one credit (which WeChat will refuse with 43101),
	// parents 2 and 3 none.
	must(t, e.st.GrantConsent(ctx, e.members[0].ID, "tmpl-notice", false))
	must(t, e.st.GrantConsent(ctx, e.members[0].ID, "tmpl-notice", false))
	must(t, e.st.GrantConsent(ctx, e.members[1].ID, "tmpl-notice", false))
	e.wx.FailNext(wxfake.EpSubscribeSend, 43101, 1)
	e.h.SendChunk = 1 // one delivery per task, so the 43101 lands on one parent
	e.start()
	notice := e.notice(models.ChannelSubscribe, models.ChannelSMS)
	rep := e.settle(notice, 120*time.Second)
	sub, sms := rep.Channels[models.ChannelSubscribe], rep.Channels[models.ChannelSMS]
	if sub[models.DeliverySent]+sub[models.DeliveryFailed] != 2 || sub[models.DeliverySkipped] != 2 {
		t.Fatalf("subscribe: %+v", rep)
	}
	if sms[models.DeliverySent] != 2+sub[models.DeliveryFailed] {
		t.Fatalf("everyone without a subscribe message must get an SMS: %+v", rep)
	}
	consents, _ := e.st.Consents(ctx, e.members[1].ID)
	consents0, _ := e.st.Consents(ctx, e.members[0].ID)
	if sub[models.DeliveryFailed] == 1 {
		// Whoever met the 43101 has no credits left.
		if (consents[0].Credits != 0 || consents0[0].Credits != 1) && (consents0[0].Credits != 0) {
			t.Fatalf("43101 must clear the credits: p0=%+v p1=%+v", consents0, consents)
		}
	}
}

func TestSMSPerNumberLimitsHoldOverASimulatedWindow(t *testing.T) {
	e := newBC(t, 1)
	ctx := context.Background()
	clock := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC) // 10:00 in Shanghai
	e.h.Now = func() time.Time { return clock }
	hash := e.st.PhoneHash(e.phones[0])
	wait, err := e.h.smsAllowed(ctx, hash)
	if err != nil || wait != 0 {
		t.Fatalf("first SMS: wait %v, %v", wait, err)
	}
	clock = clock.Add(10 * time.Second)
	if wait, _ = e.h.smsAllowed(ctx, hash); wait != 20*time.Second {
		t.Fatalf("second SMS 10 s later must wait 20 s, got %v", wait)
	}
	for i := 0; i < 9; i++ { // nine more, 30 s apart: ten in the day
		clock = clock.Add(30 * time.Second)
		if wait, _ = e.h.smsAllowed(ctx, hash); wait != 0 {
			t.Fatalf("SMS %d: wait %v", i+2, wait)
		}
	}
	clock = clock.Add(time.Hour)
	wait, _ = e.h.smsAllowed(ctx, hash)
	midnight := time.Date(2026, 12, 2, 0, 0, 0, 0, models.Shanghai)
	if wait != midnight.Sub(clock) {
		t.Fatalf("the 11th SMS of the day must wait until midnight, got %v", wait)
	}
	clock = midnight.Add(time.Minute)
	if wait, _ = e.h.smsAllowed(ctx, hash); wait != 0 {
		t.Fatalf("next day: wait %v", wait)
	}
	// Over the limit, the message waits in the queue: the delivery stays queued with a reason.
	clock = midnight.Add(10 * time.Hour) // 10:00, outside quiet hours
	if wait, _ = e.h.smsAllowed(ctx, hash); wait != 0 {
		t.Fatalf("10:00: wait %v", wait)
	}
	e.h.Now = func() time.Time { return clock }
	e.st.SetClock(e.h.Now)
	e.start()
	notice := e.notice(models.ChannelSMS)
	deadline := time.Now().Add(10 * time.Second)
	for {
		ds, _, _ := e.obs.DeliveriesOfNotice(ctx, notice.ID, "", storePage())
		if len(ds) == 1 && ds[0].Status == models.DeliveryQueued && ds[0].Reason == bots.ReasonRateLimited {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery over the limit: %+v", ds)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(e.sms.Sent()) != 0 {
		t.Fatal("an over-limit SMS was sent")
	}
}

func TestQuietHoursDefer(t *testing.T) {
	e := newBC(t, 3)
	ctx := context.Background()
	night := time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC) // 22:00 in Shanghai
	e.h.Now = func() time.Time { return night }
	e.st.SetClock(e.h.Now)
	e.start()
	quiet := e.notice(models.ChannelSMS)
	urgent := models.Notice{SchoolID: e.school.ID, CountyID: e.school.CountyID, Sender: e.school.Name, Kind: models.NoticeGeneral,
		Title: "紧急通知", Body: "明日停课。", Channels: []string{models.ChannelSMS}, Urgent: true,
		Audience: models.Audience{Kind: models.AudienceScope}}
	must(t, e.st.CreateNotice(ctx, &urgent))
	task, opts := NewNoticeFanoutTask(urgent, "")
	_, err := e.queue.Enqueue(task, append(opts, asynq.ProcessIn(0))...)
	must(t, err)
	e.settle(urgent, 120*time.Second)
	if len(e.sms.Sent()) != 3 {
		t.Fatalf("urgent notice must go out at night: %d sent", len(e.sms.Sent()))
	}
	n, _ := e.st.Notice(ctx, quiet.ID)
	rep, _ := e.st.Report(ctx, quiet.ID)
	if n.Status != models.NoticeScheduled || rep.Targeted != 0 {
		t.Fatalf("a normal notice must wait for 07:30: status %s, %+v", n.Status, rep)
	}
	scheduled, err := asynqInspector(e).ListScheduledTasks(QueueBulk)
	must(t, err)
	found := false
	for _, s := range scheduled {
		if s.Type == TypeNoticeFanout && s.NextProcessAt.Sub(time.Now()) > 9*time.Hour-time.Minute {
			found = true
		}
	}
	if !found {
		t.Fatalf("no fan-out scheduled for 07:30 (9.5 h ahead): %+v", scheduled)
	}
}

func TestRefusedSMSDoesNotUseUpTheNumbersAllowance(t *testing.T) {
	e := newBC(t, 1)
	ctx := context.Background()
	clock := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	e.h.Now = func() time.Time { return clock }
	e.h.SMSDaily = 1
	hash := e.st.PhoneHash(e.phones[0])
	wait, keys, at, err := e.h.smsCount(ctx, hash)
	if err != nil || wait != 0 {
		t.Fatalf("first: %v %v", wait, err)
	}
	// The provider refused it, so nothing was sent: the allowance comes back.
	e.h.releaseSMS(ctx, &prepared{smsKeys: keys, smsAt: at})
	clock = clock.Add(time.Second)
	if wait, _ = e.h.smsAllowed(ctx, hash); wait != 0 {
		t.Fatalf("after a refused send the number may be tried again at once, got wait %v", wait)
	}
	clock = clock.Add(time.Minute)
	if wait, _ = e.h.smsAllowed(ctx, hash); wait == 0 {
		t.Fatal("the daily limit of 1 must now hold")
	}
}

// A broadcast carries each recipient's number from the bindings to the send; a number changed
// after binding, and a binding made after the number, must both text the current number.
func TestBroadcastTextsTheCurrentNumber(t *testing.T) {
	e := newBC(t, 3)
	ctx := context.Background()
	newNumber := "+8613700000000"
	must(t, e.st.SetPhone(ctx, e.members[0].ID, newNumber))
	// A fourth parent authorises a number, then binds pupil S00002 in the mini-program.
	later, err := e.st.CreateMembers(ctx, []store.NewMember{{OpenID: "openid-later"}})
	must(t, err)
	must(t, e.st.SetPhone(ctx, later[0].ID, "+8613700000001"))
	_, _, err = e.st.Bind(ctx, store.BindRequest{MemberID: later[0].ID, SchoolID: e.school.ID, StudentNo: "S00002", Name: "学生2"})
	must(t, err)
	e.start()
	notice := e.notice(models.ChannelSMS)
	r := e.settle(notice, 60*time.Second)
	got := e.sentPerPhone()
	want := map[string]int{newNumber: 1, e.phones[1]: 1, e.phones[2]: 1, "+8613700000001": 1}
	if !maps.Equal(got, want) || r.Channels[models.ChannelSMS][models.DeliverySent] != 4 {
		t.Fatalf("texted %v (report %+v), want %v", got, r, want)
	}
}
