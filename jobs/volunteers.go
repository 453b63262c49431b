package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"kehou/models"
)

// TypeShiftAlert is the day-before work for volunteer shifts: remind the approved volunteers,
// and tell the school's staff group robots of shifts still short of volunteers.
const TypeShiftAlert = "shift:alert"

// NewShiftAlertTask looks for shifts starting within a day (periodic).
func NewShiftAlertTask() *asynq.Task { return asynq.NewTask(TypeShiftAlert, nil) }

// CareNotice is a message about a summer-care programme to the parents of the given children
// (urgent: a place or a cancellation cannot wait for the morning).
func CareNotice(p models.Programme, children []string, title, body string) models.Notice {
	return models.Notice{Kind: models.NoticeSummerCare, Title: truncate(title, models.MaxNoticeTitle), Body: body,
		Link: "pages/care/detail?id=" + p.ID, Audience: models.Audience{Kind: models.AudienceChildren, ChildIDs: children},
		Channels: append([]string{}, FamilyChannels...), AuthorID: p.AuthorID, CountyID: p.CountyID, SchoolID: p.SchoolID,
		Sender: p.Sender, Urgent: true}
}

// CarePromotedNotice tells families that the waiting list gave their child a place in a period.
func CarePromotedNotice(p models.Programme, periodID string, got []models.SignUp) models.Notice {
	label := ""
	if per := p.Period(periodID); per != nil {
		label = per.Label
	}
	children := make([]string, len(got))
	for i, su := range got {
		children[i] = su.ChildID
	}
	return CareNotice(p, children, "候补成功："+p.Title,
		"您为孩子报名的“"+p.Title+"”"+label+"有名额空出，已为您确认名额，请在小程序中查看。")
}

// VolunteerNotice is a message to volunteers (members) about their shifts. Only what cannot
// wait (a cancellation) is urgent; the rest respects quiet hours.
func VolunteerNotice(sh models.Shift, authorID string, members []string, title, body string, urgent bool) models.Notice {
	return models.Notice{Kind: models.NoticeSummerCare, Title: truncate(title, models.MaxNoticeTitle), Body: body,
		Link: "pages/volunteer/shift?id=" + sh.ID, Audience: models.Audience{Kind: models.AudienceMembers, MemberIDs: members},
		Channels: append([]string{}, FamilyChannels...), AuthorID: authorID, CountyID: sh.CountyID, SchoolID: sh.SchoolID,
		Sender: sh.Sender, Urgent: urgent}
}

// ShiftLabel names a shift as volunteers read it: "7月6日 08:30–11:30 作业辅导".
func ShiftLabel(sh models.Shift) string {
	return sh.StartsAt.In(models.Shanghai).Format("1月2日 15:04") + "–" + sh.EndsAt.In(models.Shanghai).Format("15:04") + " " + sh.Role
}

// HandleShiftAlert reminds the approved volunteers of every shift starting within a day, and
// posts to the school's group robots each such shift that is short of volunteers; each once per
// shift (claimed first).
func (h *Handlers) HandleShiftAlert(ctx context.Context, _ *asynq.Task) error {
	now := h.now()
	until := now.Add(24 * time.Hour)
	due, err := h.Store.ShiftsToAlert(ctx, "reminded", now, until)
	if err != nil {
		return err
	}
	for _, sh := range due {
		if ok, err := h.Store.ClaimShiftAlert(ctx, sh.ID, "reminded"); err != nil || !ok {
			if err != nil {
				return err
			}
			continue
		}
		ids, err := h.Store.ApprovedVolunteers(ctx, sh.ID)
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			continue
		}
		body := fmt.Sprintf("您报名的志愿服务班次“%s”将于%s在%s开始，请准时到岗，签到时出示小程序中的签到码。",
			sh.Role, sh.StartsAt.In(models.Shanghai).Format("1月2日 15:04"), sh.Sender)
		if err := h.notify(ctx, VolunteerNotice(sh, "", ids, "明日志愿服务提醒", body, false)); err != nil {
			return err
		}
	}
	short, err := h.Store.ShiftsToAlert(ctx, "short_alerted", now, until)
	if err != nil {
		return err
	}
	for _, brief := range short {
		sh, err := h.Store.Shift(ctx, brief.ID)
		if err != nil {
			return err
		}
		if sh.Approved >= sh.Needed {
			continue
		}
		robots, err := h.Store.Robots(ctx, models.Scope{Role: models.RoleSchool, SchoolID: sh.SchoolID, CountyID: sh.CountyID})
		if err != nil {
			return err
		}
		if len(robots) == 0 {
			h.Log.Info("shift short of volunteers but the school has no group robot", "shift", sh.ID)
			continue
		}
		if ok, err := h.Store.ClaimShiftAlert(ctx, sh.ID, "short_alerted"); err != nil || !ok {
			if err != nil {
				return err
			}
			continue
		}
		n := models.Notice{Kind: models.NoticeSummerCare, Title: "志愿者不足：" + truncate(ShiftLabel(sh), 40),
			Body: fmt.Sprintf("%s暑期托管班次“%s”需要志愿者%d人，目前已确认%d人，还差%d人。请尽快审核报名或另行安排。",
				sh.Sender, ShiftLabel(sh), sh.Needed, sh.Approved, sh.Needed-sh.Approved),
			Audience: models.Audience{Kind: models.AudienceMembers}, Channels: []string{}, CountyID: sh.CountyID, SchoolID: sh.SchoolID,
			Sender: sh.Sender, Urgent: true}
		for _, r := range robots {
			n.Robots = append(n.Robots, r.ID)
		}
		if err := h.notify(ctx, n); err != nil {
			return err
		}
	}
	return nil
}
