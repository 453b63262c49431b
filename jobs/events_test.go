package jobs

import (
	"context"
	"strings"
	"testing"
	"time"

	"kehou/models"
	"kehou/store"
)

// openDay publishes an event of the rig's school with one session starting in 20 hours (of the
// rig's clock) and signs the first k pupils up.
func (e *bcEnv) openDay(capacity, k int) (models.Event, []models.SignUp) {
	e.t.Helper()
	ctx := context.Background()
	now := e.h.now()
	ev := models.Event{SchoolID: e.school.ID, CountyID: e.school.CountyID, Sender: e.school.Name, Title: "家长开放日", Place: "礼堂",
		Audience: models.Audience{Kind: models.AudienceScope}, SignupOpens: now.Add(-time.Hour), SignupCloses: now.Add(10 * time.Hour),
		Sessions: []models.EventSession{{Label: "上午场", StartsAt: now.Add(20 * time.Hour), EndsAt: now.Add(22 * time.Hour), Capacity: capacity}}}
	must(e.t, e.st.CreateEvent(ctx, &ev))
	must(e.t, e.st.SetEventStatus(ctx, ev.ID, models.EventPublished, models.EventDraft))
	kids, _, err := e.st.Children(ctx, e.school.ID, 0, "", store.Page{Limit: store.MaxPageSize})
	must(e.t, err)
	var out []models.SignUp
	for _, k := range kids[:k] {
		su, _, err := e.st.Join(ctx, models.SignUp{PoolID: ev.Sessions[0].ID, OwnerID: ev.ID, ChildID: k.ID, SchoolID: k.SchoolID, CountyID: k.CountyID})
		must(e.t, err)
		out = append(out, su)
	}
	return ev, out
}

// TestEventReminderOnceToConfirmed: the day-before reminder goes once, to confirmed families.
func TestEventReminderOnceToConfirmed(t *testing.T) {
	e := newBC(t, 6)
	ctx := context.Background()
	ev, sus := e.openDay(4, 6) // 4 confirmed, 2 waiting
	must(t, e.h.HandleEventRemind(ctx, nil))
	must(t, e.h.HandleEventRemind(ctx, nil))
	ns, _, err := e.obs.Notices(ctx, models.Scope{Role: models.RoleCity}, store.Page{})
	must(t, err)
	if len(ns) != 1 || !strings.HasPrefix(ns[0].Title, "明日提醒") || len(ns[0].Audience.ChildIDs) != 4 {
		t.Fatalf("reminders: %+v", ns)
	}
	for _, su := range sus[4:] {
		for _, c := range ns[0].Audience.ChildIDs {
			if c == su.ChildID {
				t.Fatal("a waiting family was reminded")
			}
		}
	}
	if !strings.Contains(ns[0].Link, ev.ID) {
		t.Fatalf("reminder link: %s", ns[0].Link)
	}
}

// TestReconcilerRepairsAndPromotes: a cancellation whose promotion never ran (the process died
// after giving the places back) is finished by the reconciler, which promotes the next family
// and tells it.
func TestReconcilerRepairsAndPromotes(t *testing.T) {
	e := newBC(t, 3)
	ctx := context.Background()
	ev, sus := e.openDay(2, 3) // 2 confirmed, 1 waiting
	db := e.st
	_, _, err := db.CancelSignUp(ctx, sus[0].ID)
	must(t, err)
	p, err := db.Pool(ctx, ev.Sessions[0].ID)
	must(t, err)
	if p.Free != 1 {
		t.Fatalf("free after cancelling: %d", p.Free)
	}
	// Nobody promoted the waiting family (no API call ran Promote): the reconciler does.
	must(t, e.h.HandlePlacesReconcile(ctx, nil))
	cur, err := db.SignUp(ctx, sus[2].ID)
	must(t, err)
	if cur.Status != models.SignUpConfirmed {
		t.Fatalf("waiting family after reconcile: %s", cur.Status)
	}
	ns, _, err := e.obs.Notices(ctx, models.Scope{Role: models.RoleCity}, store.Page{})
	must(t, err)
	if len(ns) != 1 || !strings.HasPrefix(ns[0].Title, "候补成功") || ns[0].Audience.ChildIDs[0] != sus[2].ChildID {
		t.Fatalf("promotion notice: %+v", ns)
	}
}
