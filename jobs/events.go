package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"kehou/models"
	"kehou/store"
)

// Event task types.
const (
	TypeEventRemind     = "event:remind"     // the day before a session, remind the families confirmed
	TypePlacesReconcile = "places:reconcile" // make sign-ups agree with their pools; offer free places
)

// NewEventRemindTask looks for sessions starting within a day (periodic).
func NewEventRemindTask() *asynq.Task { return asynq.NewTask(TypeEventRemind, nil) }

// NewPlacesReconcileTask repairs open pools (periodic).
func NewPlacesReconcileTask() *asynq.Task { return asynq.NewTask(TypePlacesReconcile, nil) }

// FamilyChannels are the channels of messages about a family's own sign-up: the subscribe
// message where consented, else SMS.
var FamilyChannels = []string{models.ChannelSubscribe, models.ChannelSMS}

// EventNotice is a message about an event to the parents of the given children (an urgent one:
// a place or a cancellation cannot wait for the morning).
func EventNotice(e models.Event, children []string, title, body string) models.Notice {
	n := models.Notice{Kind: models.NoticeOpenDay, Title: truncate(title, models.MaxNoticeTitle), Body: body,
		Link: "pages/event/detail?id=" + e.ID, Audience: models.Audience{Kind: models.AudienceChildren, ChildIDs: children},
		Channels: append([]string{}, FamilyChannels...), AuthorID: e.AuthorID, CountyID: e.CountyID, SchoolID: e.SchoolID,
		Sender: e.Sender, Urgent: true}
	return n
}

// PromotedNotice tells families that the waiting list gave them a place.
func PromotedNotice(e models.Event, poolID string, got []models.SignUp) models.Notice {
	label := ""
	if ses := e.Session(poolID); ses != nil {
		label = ses.Label
	}
	children := make([]string, len(got))
	for i, su := range got {
		children[i] = su.ChildID
	}
	return EventNotice(e, children, "候补成功："+e.Title,
		"您报名的“"+e.Title+"”"+label+"有名额空出，已为您确认名额，请在小程序中查看入场码。")
}

// notify stores a notice and enqueues its fan-out (the notice reconciler catches a lost enqueue).
func (h *Handlers) notify(ctx context.Context, n models.Notice) error {
	if err := h.Store.CreateNotice(ctx, &n); err != nil {
		return err
	}
	task, opts := NewNoticeFanoutTask(n, "")
	if err := h.enqueue(ctx, task, opts); err != nil {
		h.Log.Warn("fan-out not enqueued; the reconciler will", "notice", n.ID, "err", err)
	}
	return nil
}

// HandleEventRemind reminds the confirmed families of every session starting within a day,
// once per session (the pool's reminded flag is claimed first).
func (h *Handlers) HandleEventRemind(ctx context.Context, _ *asynq.Task) error {
	now := h.now()
	pools, err := h.Store.PoolsToRemind(ctx, models.PoolEventSession, now, now.Add(24*time.Hour))
	if err != nil {
		return err
	}
	for _, p := range pools {
		e, err := h.Store.Event(ctx, p.OwnerID)
		if err != nil {
			return err
		}
		if e.Status != models.EventPublished {
			continue
		}
		ok, err := h.Store.ClaimPoolReminder(ctx, p.ID)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		var children []string
		page := store.Page{Limit: store.MaxPageSize}
		for {
			list, next, err := h.Store.SignUpsOf(ctx, e.ID, p.ID, models.SignUpConfirmed, page)
			if err != nil {
				return err
			}
			for _, su := range list {
				children = append(children, su.ChildID)
			}
			if next == "" {
				break
			}
			page.Cursor = next
		}
		if len(children) == 0 {
			continue
		}
		label := ""
		if ses := e.Session(p.ID); ses != nil {
			label = ses.Label
		}
		body := fmt.Sprintf("您报名的“%s”%s将于%s在%s举行，请准时到场，入场时出示小程序中的入场码。",
			e.Title, label, p.StartsAt.In(models.Shanghai).Format("1月2日 15:04"), e.Place)
		if err := h.notify(ctx, EventNotice(e, children, "明日提醒："+e.Title, body)); err != nil {
			return err
		}
	}
	return nil
}

// HandlePlacesReconcile repairs every open pool with a waiting list (sign-ups a crash left
// apart from the pool) and gives free places to those waiting; families promoted here are told.
func (h *Handlers) HandlePlacesReconcile(ctx context.Context, _ *asynq.Task) error {
	pools, err := h.Store.OpenPools(ctx, h.now())
	if err != nil {
		return err
	}
	for _, p := range pools {
		got, err := h.Store.RepairPool(ctx, p.ID)
		if err != nil {
			return fmt.Errorf("repair pool %s: %w", p.ID, err)
		}
		if len(got) == 0 {
			continue
		}
		var n models.Notice
		switch p.Kind {
		case models.PoolCourse:
			if n, err = h.afterCoursePromotion(ctx, p.OwnerID, p.ID, got); err != nil {
				return err
			}
		case models.PoolCarePeriod:
			prog, err := h.Store.Programme(ctx, p.OwnerID)
			if err != nil {
				return err
			}
			n = CarePromotedNotice(prog, p.ID, got)
		default:
			e, err := h.Store.Event(ctx, p.OwnerID)
			if err != nil {
				return err
			}
			n = PromotedNotice(e, p.ID, got)
		}
		if err := h.notify(ctx, n); err != nil {
			return err
		}
	}
	return nil
}
