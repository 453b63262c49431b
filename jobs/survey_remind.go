package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"kehou/models"
)

// NewSurveyRemindTask checks for surveys whose reminder is due (periodic).
func NewSurveyRemindTask() *asynq.Task { return asynq.NewTask(TypeSurveyRemind, nil) }

// HandleSurveyRemind sends each due survey's one reminder: a notice to the families of its
// audience who have not answered, resolved when the notice fans out. A survey is claimed
// before its notice is made, so two workers never remind twice; should making the notice fail,
// the claim is released and the next run tries again.
func (h *Handlers) HandleSurveyRemind(ctx context.Context, _ *asynq.Task) error {
	due, err := h.Store.DueSurveyReminders(ctx, h.now())
	if err != nil {
		return err
	}
	for _, sv := range due {
		ok, err := h.Store.ClaimSurveyReminder(ctx, sv.ID)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		n := SurveyNotice(sv, sv.Channels, true)
		if err := h.Store.CreateNotice(ctx, &n); err != nil {
			if rerr := h.Store.ReleaseSurveyReminder(ctx, sv.ID); rerr != nil {
				h.Log.Error("survey reminder claim stuck", "survey", sv.ID, "err", rerr)
			}
			return fmt.Errorf("survey reminder: %w", err)
		}
		task, opts := NewNoticeFanoutTask(n, "")
		if err := h.enqueue(ctx, task, opts); err != nil {
			// The notice is stored; the notice reconciler enqueues stalled fan-outs.
			h.Log.Warn("survey reminder fan-out not enqueued; the reconciler will", "notice", n.ID, "err", err)
		}
		h.Log.Info("survey reminder sent", "survey", sv.ID, "notice", n.ID)
	}
	return nil
}

// SurveyNotice is the invitation to a survey, or with remind set the reminder to the families
// who have not answered. The link opens the survey in the mini-program.
func SurveyNotice(sv models.Survey, channels []string, remind bool) models.Notice {
	n := models.Notice{Kind: models.NoticeSurvey, Title: sv.Title, AuthorID: sv.AuthorID, CountyID: sv.CountyID, SchoolID: sv.SchoolID,
		Sender: sv.Sender, Audience: sv.Audience, Channels: append([]string{}, channels...),
		Link: "pages/survey/detail?id=" + sv.ID}
	closes := sv.ClosesAt.In(models.Shanghai).Format("1月2日 15:04")
	n.Body = fmt.Sprintf("%s邀请您填写问卷“%s”，截止时间%s。%s", sv.Sender, sv.Title, closes, anonNote(sv))
	if remind {
		n.Title = truncate("提醒："+sv.Title, models.MaxNoticeTitle)
		n.Body = fmt.Sprintf("您还未填写问卷“%s”，问卷将于%s截止，请抽空填写。%s", sv.Title, closes, anonNote(sv))
		n.Audience = models.Audience{Kind: models.AudienceSurvey, SurveyID: sv.ID}
		if sv.Anonymous {
			// Reminding only those who have not answered would let staff read, from the
			// reminder's deliveries, who has: an anonymous survey reminds everyone it reached.
			n.Audience = sv.Audience
			n.Body = fmt.Sprintf("问卷“%s”将于%s截止，尚未填写的家长请抽空填写，已填写的请忽略本提醒。%s", sv.Title, closes, anonNote(sv))
		}
	}
	return n
}

func anonNote(sv models.Survey) string {
	if sv.Anonymous {
		return "问卷为匿名填写。"
	}
	return ""
}

func truncate(s string, n int) string { return models.Truncate(s, n) }

// surveyRemindEvery is how often due reminders are looked for.
const surveyRemindEvery = 5 * time.Minute
