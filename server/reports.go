package server

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"kehou/models"
	"kehou/store"
)

// reportView is a month's report as a scope sees it: its own level's figures and the levels
// below it.
type reportView struct {
	Month    string               `json:"month"`
	BuiltAt  time.Time            `json:"built_at,omitzero"`
	Level    string               `json:"level"`
	Name     string               `json:"name"`
	Figures  models.Figures       `json:"figures"`
	Rates    map[string]*float64  `json:"rates"`
	Counties []models.LevelReport `json:"counties,omitempty"`
	Schools  []models.LevelReport `json:"schools,omitempty"`
}

func rates(f models.Figures) map[string]*float64 {
	return map[string]*float64{"five_plus_two": f.FivePlusTwoRate(), "two_plus_n": f.TwoPlusNRate(), "urban_two_plus_three": f.UrbanTwoPlusThreeRate(),
		"satisfaction": f.SatisfactionRate(), "awareness": f.AwarenessRate(), "notice_confirmed": f.ConfirmRate(), "families_bound": f.CoverageRate()}
}

// viewOf cuts a report to a scope.
func viewOf(r models.MonthlyReport, scope models.Scope) reportView {
	v := reportView{Month: r.ID, BuiltAt: r.BuiltAt}
	switch scope.Role {
	case models.RoleCity:
		v.Level, v.Name, v.Figures, v.Counties, v.Schools = "city", "全市", r.City, r.Counties, r.Schools
	case models.RoleCounty:
		v.Level, v.Schools = "county", []models.LevelReport{}
		for _, c := range r.Counties {
			if c.ID == scope.CountyID {
				v.Name, v.Figures = c.Name, c.Figures
			}
		}
		for _, s := range r.Schools {
			if s.CountyID == scope.CountyID {
				v.Schools = append(v.Schools, s)
			}
		}
	default:
		v.Level = "school"
		for _, s := range r.Schools {
			if s.ID == scope.SchoolID {
				v.Name, v.Figures = s.Name, s.Figures
			}
		}
	}
	v.Rates = rates(v.Figures)
	return v
}

// monthlyReport reads (building the first time) the report of a month that has ended.
func (s *Server) monthlyReport(c echo.Context, month string) (models.MonthlyReport, error) {
	from, _, ok := models.MonthBounds(month)
	if !ok {
		return models.MonthlyReport{}, models.FieldErrors{"month": "月份应如 2026-11"}
	}
	if !from.Before(startOfMonth(s.now())) {
		return models.MonthlyReport{}, newAPIError(http.StatusConflict, "report_not_ready", "该月尚未结束，月报在次月1日生成")
	}
	r, _, err := s.reports.Ensure(c.Request().Context(), month)
	return r, err
}

func startOfMonth(t time.Time) time.Time {
	from, _, _ := models.MonthBounds(models.MonthOf(t))
	return from
}

// getMonthlyReport answers a month's report within the caller's scope.
func (s *Server) getMonthlyReport(c echo.Context) error {
	r, err := s.monthlyReport(c, c.Param("month"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewOf(r, scopeOf(c)))
}

var figureColumns = []struct {
	title string
	get   func(models.Figures) string
}{
	{"学校数", func(f models.Figures) string { return strconv.Itoa(f.Schools) }},
	{"5+2学校", func(f models.Figures) string { return strconv.Itoa(f.PlansFivePlusTwo) }},
	{"5+2达标率", func(f models.Figures) string { return pct(f.FivePlusTwoRate()) }},
	{"2+N学校", func(f models.Figures) string { return strconv.Itoa(f.PlansTwoPlusN) }},
	{"2+N达标率", func(f models.Figures) string { return pct(f.TwoPlusNRate()) }},
	{"城区学校", func(f models.Figures) string { return strconv.Itoa(f.UrbanSchools) }},
	{"城区2+3学校", func(f models.Figures) string { return strconv.Itoa(f.UrbanTwoPlusThree) }},
	{"城区2+3比例", func(f models.Figures) string { return pct(f.UrbanTwoPlusThreeRate()) }},
	{"在册学生", func(f models.Figures) string { return strconv.Itoa(f.Pupils) }},
	{"已绑定家长", func(f models.Figures) string { return strconv.Itoa(f.Families) }},
	{"问卷答卷", func(f models.Figures) string { return strconv.Itoa(f.SurveyResponses) }},
	{"满意度", func(f models.Figures) string { return pct(f.SatisfactionRate()) }},
	{"知晓率", func(f models.Figures) string { return pct(f.AwarenessRate()) }},
	{"发布通知", func(f models.Figures) string { return strconv.Itoa(f.NoticesSent) }},
	{"通知送达人数", func(f models.Figures) string { return strconv.Itoa(f.NoticeRecipients) }},
	{"回执确认", func(f models.Figures) string { return strconv.Itoa(f.NoticesConfirmed) }},
	{"开放日报名", func(f models.Figures) string { return strconv.Itoa(f.OpenDaySignUps) }},
	{"开放日签到", func(f models.Figures) string { return strconv.Itoa(f.OpenDayCheckIns) }},
	{"托管名额", func(f models.Figures) string { return strconv.Itoa(f.CarePlaces) }},
	{"托管报名", func(f models.Figures) string { return strconv.Itoa(f.CareEnrolled) }},
	{"志愿服务时长（小时）", func(f models.Figures) string { return models.Hours(f.VolunteerMinutes) }},
	{"新增投诉", func(f models.Figures) string { return strconv.Itoa(f.ComplaintsNew) }},
	{"办结投诉", func(f models.Figures) string { return strconv.Itoa(f.ComplaintsClosed) }},
	{"逾期投诉", func(f models.Figures) string { return strconv.Itoa(f.ComplaintsOverdue) }},
	{"回头看", func(f models.Figures) string { return strconv.Itoa(f.LookBacks) }},
}

func figuresSheet(name string, levels []models.LevelReport) xlsxSheet {
	sh := xlsxSheet{Name: name, Header: []string{"名称"}}
	for _, col := range figureColumns {
		sh.Header = append(sh.Header, col.title)
	}
	for _, l := range levels {
		row := []string{l.Name}
		for _, col := range figureColumns {
			row = append(row, col.get(l.Figures))
		}
		sh.Rows = append(sh.Rows, row)
	}
	return sh
}

// exportMonthlyReport downloads a month's report as XLSX, a sheet per level within scope.
func (s *Server) exportMonthlyReport(c echo.Context) error {
	r, err := s.monthlyReport(c, c.Param("month"))
	if err != nil {
		return err
	}
	v := viewOf(r, scopeOf(c))
	sheets := []xlsxSheet{figuresSheet(map[string]string{"city": "市级", "county": "区县", "school": "学校"}[v.Level], []models.LevelReport{{Name: v.Name, Figures: v.Figures}})}
	if len(v.Counties) > 0 {
		sheets = append(sheets, figuresSheet("区县", v.Counties))
	}
	if len(v.Schools) > 0 && v.Level != "school" {
		sheets = append(sheets, figuresSheet("学校", v.Schools))
	}
	s.audit(c, "report.export", r.ID, scopeOf(c).CountyID, scopeOf(c).SchoolID, "")
	return sendXLSX(c, sheets, "课后服务月报-"+r.ID+".xlsx")
}

// headline is one dashboard figure with its month-over-month change and the target, if any.
type headline struct {
	Key      string   `json:"key"`
	Title    string   `json:"title"`
	Unit     string   `json:"unit"` // rate (a share, 0–1), count or hours: how the figure reads
	Value    *float64 `json:"value"`
	Previous *float64 `json:"previous"`
	Change   *float64 `json:"change"` // value − previous
	Target   *float64 `json:"target,omitempty"`
	Meets    *bool    `json:"meets,omitempty"`
	Live     *float64 `json:"live"` // the month in progress, as last computed
}

// measure is one figure the dashboard follows: how it is read from a level's figures.
type measure struct {
	key, title, unit string
	target           *float64
	get              func(models.Figures) *float64
}

func count(n int) *float64      { v := float64(n); return &v }
func target(v float64) *float64 { return &v }

// measures are the dashboard's figures in the order shown: the policy's 5+2, 2+N and urban 2+3
// first, side by side; then what families say, what reached them, what they took up, and the
// complaints.
var measures = []measure{
	{"five_plus_two", "5+2达标率", "rate", target(targetFivePlusTwo), models.Figures.FivePlusTwoRate},
	{"two_plus_n", "2+N达标率", "rate", target(targetTwoPlusN), models.Figures.TwoPlusNRate},
	{"urban_two_plus_three", "城区学校2+3比例", "rate", target(targetUrbanTwoPlusThree), models.Figures.UrbanTwoPlusThreeRate},
	{"satisfaction", "家长满意度", "rate", nil, models.Figures.SatisfactionRate},
	{"awareness", "政策知晓率", "rate", nil, models.Figures.AwarenessRate},
	{"families_bound", "家长绑定率", "rate", nil, models.Figures.CoverageRate},
	{"notices_sent", "发布通知", "count", nil, func(f models.Figures) *float64 { return count(f.NoticesSent) }},
	{"notice_confirmed", "通知确认率", "rate", nil, models.Figures.ConfirmRate},
	{"open_day_signups", "开放日报名", "count", nil, func(f models.Figures) *float64 { return count(f.OpenDaySignUps) }},
	{"open_day_checkin", "开放日到场率", "rate", nil, models.Figures.CheckInRate},
	{"care_take_up", "托管名额使用率", "rate", nil, models.Figures.CareTakeUpRate},
	{"volunteer_hours", "志愿服务时长（小时）", "hours", nil, func(f models.Figures) *float64 { return count(f.VolunteerMinutes / 60) }},
	{"complaints_new", "新增投诉", "count", nil, func(f models.Figures) *float64 { return count(f.ComplaintsNew) }},
	{"complaints_closed", "办结投诉", "count", nil, func(f models.Figures) *float64 { return count(f.ComplaintsClosed) }},
	{"complaints_overdue", "逾期投诉", "count", nil, func(f models.Figures) *float64 { return count(f.ComplaintsOverdue) }},
}

// values reads every measure of a level's figures, by key.
func values(f models.Figures) map[string]*float64 {
	out := make(map[string]*float64, len(measures))
	for _, m := range measures {
		out[m.key] = m.get(f)
	}
	return out
}

// trendMonths is how many months the dashboard's charts go back (the frozen reports stored).
const trendMonths = 12

// trendPoint is one month of the dashboard's charts: a frozen report, or the live month.
type trendPoint struct {
	Month   string              `json:"month"`
	Live    bool                `json:"live"`
	BuiltAt time.Time           `json:"built_at,omitzero"`
	Values  map[string]*float64 `json:"values"`
}

// dashboardLevel is a county or school one level down, for the drill-down table.
type dashboardLevel struct {
	ID     string              `json:"id"`
	Name   string              `json:"name"`
	Level  string              `json:"level"`
	Values map[string]*float64 `json:"values"`
}

// dashboardScope is the caller's scope, narrowed to the county or school the query names (a
// city officer drilling down to a county, a county to a school); outside the caller's scope is
// 404, as everywhere.
func (s *Server) dashboardScope(c echo.Context) (models.Scope, error) {
	scope := scopeOf(c)
	ctx := c.Request().Context()
	if id := c.QueryParam("school_id"); id != "" {
		sc, err := s.store.School(ctx, id)
		if err != nil {
			return scope, err
		}
		if !scope.AllowsSchool(sc.ID, sc.CountyID) {
			return scope, errNotFound
		}
		return models.Scope{Role: models.RoleSchool, CountyID: sc.CountyID, SchoolID: sc.ID}, nil
	}
	if id := c.QueryParam("county_id"); id != "" {
		ct, err := s.store.County(ctx, id)
		if err != nil {
			return scope, err
		}
		if !scope.AllowsCounty(ct.ID) {
			return scope, errNotFound
		}
		return models.Scope{Role: models.RoleCounty, CountyID: ct.ID}, nil
	}
	return scope, nil
}

// dashboard gives the console's headline figures: the last complete month's against the month
// before, with the city targets beside the policy figures and the month in progress beside them;
// the last twelve months for the charts; and the level below (counties for the city, schools for
// a county) for the drill-down. A school is 2+N or 2+3 only when it is 5+2 too.
func (s *Server) dashboard(c echo.Context) error {
	scope, err := s.dashboardScope(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	cur := models.MonthOf(startOfMonth(s.now()).Add(-time.Hour))
	prevMonth := models.MonthOf(startOfMonth(startOfMonth(s.now()).Add(-time.Hour)).Add(-time.Hour))
	r, err := s.monthlyReport(c, cur)
	if err != nil {
		return err
	}
	p, err := s.monthlyReport(c, prevMonth)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	live, err := s.store.LiveReport(ctx, models.MonthOf(s.now()))
	hasLive := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	view := viewOf(r, scope)
	now, before, liveNow := view.Figures, viewOf(p, scope).Figures, viewOf(live, scope).Figures

	items := make([]headline, 0, len(measures))
	for _, m := range measures {
		h := headline{Key: m.key, Title: m.title, Unit: m.unit, Value: m.get(now), Previous: m.get(before), Target: m.target}
		if hasLive {
			h.Live = m.get(liveNow)
		}
		if h.Value != nil && h.Previous != nil {
			d := float64(int((*h.Value-*h.Previous)*10000+0.5*sign(*h.Value-*h.Previous))) / 10000
			h.Change = &d
		}
		if h.Target != nil && h.Value != nil {
			meets := *h.Value >= *h.Target
			h.Meets = &meets
		}
		items = append(items, h)
	}

	from, _, _ := models.MonthBounds(cur)
	stored, err := s.store.MonthlyReports(ctx, models.MonthOf(from.AddDate(0, -(trendMonths-1), 0)), cur)
	if err != nil {
		return err
	}
	trend := make([]trendPoint, 0, len(stored)+1)
	for _, m := range stored {
		trend = append(trend, trendPoint{Month: m.ID, BuiltAt: m.BuiltAt, Values: values(viewOf(m, scope).Figures)})
	}
	var liveInfo map[string]any
	if hasLive {
		trend = append(trend, trendPoint{Month: live.ID, Live: true, BuiltAt: live.BuiltAt, Values: values(liveNow)})
		liveInfo = map[string]any{"month": live.ID, "built_at": live.BuiltAt}
	}

	below := []dashboardLevel{}
	switch scope.Role {
	case models.RoleCity:
		for _, l := range view.Counties {
			below = append(below, dashboardLevel{ID: l.ID, Name: l.Name, Level: "county", Values: values(l.Figures)})
		}
	case models.RoleCounty:
		for _, l := range view.Schools {
			below = append(below, dashboardLevel{ID: l.ID, Name: l.Name, Level: "school", Values: values(l.Figures)})
		}
	}
	out := map[string]any{"month": cur, "previous_month": prevMonth, "items": items, "trend": trend, "below": below,
		"level": view.Level, "name": view.Name}
	if scope.CountyID != "" {
		out["county_id"] = scope.CountyID
	}
	if scope.SchoolID != "" {
		out["school_id"] = scope.SchoolID
	}
	if liveInfo != nil {
		out["live"] = liveInfo
	}
	return c.JSON(http.StatusOK, out)
}

func sign(v float64) float64 {
	if v < 0 {
		return -1
	}
	return 1
}
