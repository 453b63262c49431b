package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"kehou/models"
)

// TypeMonthlyReport builds last month's report once it has ended and pushes a summary to the
// bureau's group robots.
const TypeMonthlyReport = "report:monthly"

// NewMonthlyReportTask builds last month's report if it is not built yet (periodic).
func NewMonthlyReportTask() *asynq.Task { return asynq.NewTask(TypeMonthlyReport, nil) }

// TypeLiveReport recomputes the month in progress for the dashboard.
const TypeLiveReport = "report:live"

// liveReportEvery is how stale the dashboard's current month may be. A city's month takes 15–35 s
// to build at 1,000 schools (bench/report), so every request cannot build it; every 10 minutes
// costs a few per cent of one worker.
const liveReportEvery = 10 * time.Minute

// NewLiveReportTask rebuilds the current month's live figures (periodic). A failed build is not
// retried: the next period rebuilds it anyway, and at a city's scale on the embedded store
// retries piled up behind each other and held its one connection (bench/README.md, "Console at
// city scale").
func NewLiveReportTask() *asynq.Task {
	return asynq.NewTask(TypeLiveReport, nil, asynq.MaxRetry(0), asynq.Timeout(liveReportEvery))
}

// HandleLiveReport rebuilds and stores the current month's figures.
func (h *Handlers) HandleLiveReport(ctx context.Context, _ *asynq.Task) error {
	if h.Reports == nil {
		return fmt.Errorf("live report: no report builder configured: %w", asynq.SkipRetry)
	}
	_, err := h.Reports.Live(ctx)
	return err
}

// HandleMonthlyReport builds the previous month's report the first time it runs in a month (on
// the 1st, hourly; any later run finds it stored) and, when it built it, posts a short summary
// to the city's own group robots.
func (h *Handlers) HandleMonthlyReport(ctx context.Context, _ *asynq.Task) error {
	l := h.now().In(models.Shanghai)
	month := time.Date(l.Year(), l.Month(), 1, 0, 0, 0, 0, models.Shanghai).AddDate(0, -1, 0).Format("2006-01")
	if h.Reports == nil {
		return fmt.Errorf("monthly report %s: no report builder configured: %w", month, asynq.SkipRetry)
	}
	r, built, err := h.Reports.Ensure(ctx, month)
	if err != nil || !built {
		return err
	}
	h.Log.Info("monthly report built", "month", month)
	robots, err := h.Store.Robots(ctx, models.Scope{Role: models.RoleCity})
	if err != nil {
		return err
	}
	var ids []string
	for _, rb := range robots {
		if rb.CountyID == "" && rb.SchoolID == "" {
			ids = append(ids, rb.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	f := r.City
	pct := func(v *float64) string {
		if v == nil {
			return "—"
		}
		return fmt.Sprintf("%.1f%%", *v*100)
	}
	body := fmt.Sprintf("%s课后服务月报：学校%d所，5+2达标率%s（目标100%%），2+N达标率%s（目标100%%），城区2+3比例%s（目标80%%）；家长满意度%s，知晓率%s；"+
		"问卷答卷%d份；通知%d条；志愿服务%s小时；新增投诉%d件，办结%d件，逾期%d件。详见管理后台月报。",
		month, f.Schools, pct(f.FivePlusTwoRate()), pct(f.TwoPlusNRate()), pct(f.UrbanTwoPlusThreeRate()), pct(f.SatisfactionRate()), pct(f.AwarenessRate()),
		f.SurveyResponses, f.NoticesSent, models.Hours(f.VolunteerMinutes), f.ComplaintsNew, f.ComplaintsClosed, f.ComplaintsOverdue)
	return h.notify(ctx, models.Notice{Kind: models.NoticeGeneral, Title: month + "课后服务月报", Body: body,
		Audience: models.Audience{Kind: models.AudienceMembers}, Channels: []string{}, Sender: "市教育局", Robots: ids})
}
