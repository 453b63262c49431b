package jobs

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"kehou/bots/wecom"
	"kehou/models"
	"kehou/wechat/wxfake"
)

func TestRobotReceivesNoticeOnce(t *testing.T) {
	e := newBC(t, 1)
	ctx := context.Background()
	e.h.Notifiers[models.ChannelWeCom] = wecom.New(e.wx.HTTPClient())
	e.h.RobotPerMin = 20
	r := models.Robot{SchoolID: e.school.ID, CountyID: e.school.CountyID, Kind: models.ChannelWeCom, Name: "三年级教师群"}
	must(t, e.st.CreateRobot(ctx, &r, "robot-key-1", ""))
	n := models.Notice{SchoolID: e.school.ID, CountyID: e.school.CountyID, Sender: e.school.Name, Kind: models.NoticeOpenDay,
		Title: "开放日安排", Body: "请各班主任做好接待。", Robots: []string{r.ID},
		Audience: models.Audience{Kind: models.AudienceChildren, ChildIDs: []string{"nobody"}}}
	must(t, e.st.CreateNotice(ctx, &n))
	e.start()
	task, opts := NewNoticeFanoutTask(n, "")
	_, err := e.queue.Enqueue(task, append(opts, asynq.ProcessIn(0))...)
	must(t, err)
	// Enqueued twice (a reconciler copy): the robot still gets it once.
	task, opts = NewNoticeFanoutTask(n, ":r")
	_, err = e.queue.Enqueue(task, append(opts, asynq.ProcessIn(0))...)
	must(t, err)
	rep := e.settle(n, 60*time.Second)
	if rep.Channels[models.ChannelWeCom][models.DeliverySent] != 1 || rep.Targeted != 0 {
		t.Fatalf("report: %+v", rep)
	}
	got := e.wx.Requests(wxfake.EpWeComRobot)
	if len(got) != 1 || !strings.Contains(string(got[0].Body), "开放日安排") || got[0].Query.Get("key") != "robot-key-1" {
		t.Fatalf("robot received %d messages: %+v", len(got), got)
	}
}

func TestRobotLimitDelaysInsteadOfDropping(t *testing.T) {
	e := newBC(t, 1)
	ctx := context.Background()
	e.h.RobotPerMin = 20
	clock := time.Date(2026, 12, 1, 2, 0, 10, 0, time.UTC)
	e.h.Now = func() time.Time { return clock }
	for i := 0; i < 20; i++ {
		if wait, err := e.h.robotAllowed(ctx, "r1"); err != nil || wait != 0 {
			t.Fatalf("message %d: wait %v, %v", i+1, wait, err)
		}
	}
	if wait, _ := e.h.robotAllowed(ctx, "r1"); wait != 50*time.Second {
		t.Fatalf("the 21st in a minute must wait for the next minute (50 s), got %v", wait)
	}
	if wait, _ := e.h.robotAllowed(ctx, "r2"); wait != 0 {
		t.Fatal("another robot has its own limit")
	}
	clock = clock.Add(50 * time.Second)
	if wait, _ := e.h.robotAllowed(ctx, "r1"); wait != 0 {
		t.Fatalf("next minute: wait %v", wait)
	}
}
