package jobs

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"kehou/models"
	"kehou/store"
)

// programme publishes a summer-care programme of the rig's school whose one period started an
// hour ago (of the rig's clock) and runs a week.
func (e *bcEnv) programme(capacity int) models.Programme {
	e.t.Helper()
	ctx := context.Background()
	now := e.h.now()
	p := models.Programme{SchoolID: e.school.ID, CountyID: e.school.CountyID, Sender: e.school.Name, Title: "暑期托管", DailyStart: "08:00",
		DailyEnd: "17:00", Offerings: []string{"homework"}, EnrolOpens: now.Add(-48 * time.Hour), EnrolCloses: now.Add(-2 * time.Hour),
		Periods: []models.ProgrammePeriod{{Label: "第一周", StartsAt: models.Day{Time: now.Add(-time.Hour)}, EndsAt: models.DayAfter{Time: now.Add(7 * 24 * time.Hour)}, Capacity: capacity}}}
	must(e.t, e.st.CreateProgramme(ctx, &p))
	must(e.t, e.st.SetProgrammeStatus(ctx, p.ID, models.EventPublished, models.EventDraft))
	return p
}

// TestShiftAlerts: the day before, approved volunteers are reminded once, and the school's group
// robot hears once of each shift still short of volunteers.
func TestShiftAlerts(t *testing.T) {
	e := newBC(t, 1)
	ctx := context.Background()
	p := e.programme(10)
	robot := models.Robot{SchoolID: e.school.ID, CountyID: e.school.CountyID, Kind: "wecom", Name: "托管工作群"}
	must(t, e.st.CreateRobot(ctx, &robot, "robot-key", ""))
	now := e.h.now()
	mk := func(needed int, startIn time.Duration) models.Shift {
		sh := models.Shift{ProgrammeID: p.ID, SchoolID: p.SchoolID, CountyID: p.CountyID, Sender: p.Sender, Role: "午休看护",
			StartsAt: now.Add(startIn), EndsAt: now.Add(startIn + 2*time.Hour), Needed: needed, Deadline: now}
		must(t, e.st.CreateShift(ctx, &sh))
		return sh
	}
	short, full, far := mk(3, 20*time.Hour), mk(1, 21*time.Hour), mk(1, 50*time.Hour)
	approve := func(sh models.Shift, name string) string {
		v, err := e.st.SaveVolunteer(ctx, models.Volunteer{ID: "vol-" + name, Name: name, Type: models.VolunteerStudent, Organisation: "大学",
			CountyID: p.CountyID}, "13800000000")
		must(t, err)
		a, _, err := e.st.Apply(ctx, v, sh)
		must(t, err)
		_, err = e.st.Approve(ctx, a.ID, "staff")
		must(t, err)
		return v.ID
	}
	v1, v2 := approve(short, "甲"), approve(full, "乙")
	approve(far, "丙")
	must(t, e.h.HandleShiftAlert(ctx, nil))
	must(t, e.h.HandleShiftAlert(ctx, nil))
	ns, _, err := e.obs.Notices(ctx, models.Scope{Role: models.RoleCity}, store.Page{Limit: 100})
	must(t, err)
	reminded, alerts := map[string]bool{}, 0
	for _, n := range ns {
		switch {
		case n.Title == "明日志愿服务提醒":
			for _, m := range n.Audience.MemberIDs {
				reminded[m] = true
			}
		case strings.HasPrefix(n.Title, "志愿者不足"):
			alerts++
			if len(n.Robots) != 1 || n.Robots[0] != robot.ID || !strings.Contains(n.Body, "还差2人") || len(n.Channels) != 0 {
				t.Fatalf("short-staffed alert: %+v", n)
			}
		default:
			t.Fatalf("unexpected notice %q", n.Title)
		}
	}
	if alerts != 1 || len(reminded) != 2 || !reminded[v1] || !reminded[v2] {
		t.Fatalf("alerts %d, reminded %v (%d notices)", alerts, reminded, len(ns))
	}
}

// TestReconcilerPromotesSummerCare: a summer-care period's waiting list moves in the
// reconciler too, and the family is told about the programme (not an open day).
func TestReconcilerPromotesSummerCare(t *testing.T) {
	e := newBC(t, 2)
	ctx := context.Background()
	p := e.programme(1)
	per := p.Periods[0]
	kids, _, err := e.st.Children(ctx, e.school.ID, 0, "", store.Page{Limit: 10})
	must(t, err)
	var sus []models.SignUp
	for _, k := range kids[:2] {
		su, _, err := e.st.Join(ctx, models.SignUp{Kind: models.SignUpCare, ProgrammeID: p.ID, PoolID: per.ID, OwnerID: per.ID, ChildID: k.ID,
			SchoolID: k.SchoolID, CountyID: k.CountyID})
		must(t, err)
		sus = append(sus, su)
	}
	_, _, err = e.st.CancelSignUp(ctx, sus[0].ID)
	must(t, err)
	must(t, e.h.HandlePlacesReconcile(ctx, nil))
	cur, err := e.st.SignUp(ctx, sus[1].ID)
	must(t, err)
	ns, _, err := e.obs.Notices(ctx, models.Scope{Role: models.RoleCity}, store.Page{Limit: 100})
	must(t, err)
	if cur.Status != models.SignUpConfirmed || len(ns) != 1 || ns[0].Kind != models.NoticeSummerCare || !strings.Contains(ns[0].Link, p.ID) {
		t.Fatalf("after reconcile: %s, notices %s", cur.Status, fmt.Sprint(ns))
	}
}
