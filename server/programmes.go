package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"kehou/jobs"
	"kehou/models"
	"kehou/store"
)

type periodForm struct {
	Label     string `json:"label"`
	StartDate string `json:"start_date"` // 2026-07-06
	EndDate   string `json:"end_date"`   // 2026-07-10, the last day
	Capacity  int    `json:"capacity"`
	Grades    []int  `json:"grades"`
}

// programmeForm creates a summer-care programme.
type programmeForm struct {
	SchoolID       string       `json:"school_id"` // county and city staff name the school
	Title          string       `json:"title"`
	Description    string       `json:"description"`
	DailyStart     string       `json:"daily_start"`
	DailyEnd       string       `json:"daily_end"`
	FeeNote        string       `json:"fee_note"`
	Offerings      []string     `json:"offerings"`
	EnrolOpens     *time.Time   `json:"enrol_opens,omitzero"`
	EnrolCloses    time.Time    `json:"enrol_closes,omitzero"`
	CancelDeadline *time.Time   `json:"cancel_deadline,omitzero"`
	Periods        []periodForm `json:"periods"`
}

func (f *programmeForm) validate() error { return nil } // checked on the programme

// programme builds the programme; dates that do not parse are field errors.
func (f *programmeForm) programme(now time.Time) (models.Programme, error) {
	p := models.Programme{Title: strings.TrimSpace(f.Title), Description: strings.TrimSpace(f.Description), DailyStart: f.DailyStart,
		DailyEnd: f.DailyEnd, FeeNote: strings.TrimSpace(f.FeeNote), Offerings: f.Offerings, EnrolOpens: now, EnrolCloses: f.EnrolCloses.UTC()}
	if f.EnrolOpens != nil {
		p.EnrolOpens = f.EnrolOpens.UTC()
	}
	if f.CancelDeadline != nil {
		p.CancelDeadline = f.CancelDeadline.UTC()
	}
	fe := models.FieldErrors{}
	for i, per := range f.Periods {
		start, ok1 := models.ParseDay(per.StartDate)
		end, ok2 := models.ParseDay(per.EndDate)
		if !ok1 {
			fe.Add(fmt.Sprintf("periods[%d].start_date", i), "应为日期，如 2026-07-06")
		}
		if !ok2 {
			fe.Add(fmt.Sprintf("periods[%d].end_date", i), "应为日期，如 2026-07-10")
		}
		grades := per.Grades
		if grades == nil {
			grades = []int{}
		}
		p.Periods = append(p.Periods, models.ProgrammePeriod{Label: strings.TrimSpace(per.Label), StartsAt: models.Day{Time: start}, EndsAt: models.DayAfter{Time: end.AddDate(0, 0, 1)},
			Capacity: per.Capacity, Grades: grades})
	}
	if err := p.Validate(); err != nil {
		for k, v := range err.(models.FieldErrors) {
			fe.Add(k, v)
		}
	}
	return p, fe.Err()
}

// programmeSchool is the school a staff member creates a programme for: their own, or one they
// name within their scope.
func (s *Server) programmeSchool(ctx context.Context, scope models.Scope, id string) (models.School, error) {
	if scope.Role == models.RoleSchool {
		id = scope.SchoolID
	}
	if id == "" {
		return models.School{}, models.FieldErrors{"school_id": models.MsgRequired}
	}
	sc, err := s.store.SchoolInScope(ctx, scope, id)
	if errors.Is(err, store.ErrNotFound) {
		return sc, models.FieldErrors{"school_id": "范围内没有该学校"}
	}
	return sc, err
}

func (s *Server) createProgramme(c echo.Context) error {
	var f programmeForm
	if err := bind(c, &f); err != nil {
		return err
	}
	p, err := f.programme(s.now().UTC().Truncate(time.Minute))
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	sc, err := s.programmeSchool(ctx, scopeOf(c), f.SchoolID)
	if err != nil {
		return err
	}
	p.SchoolID, p.CountyID, p.Sender, p.AuthorID = sc.ID, sc.CountyID, sc.Name, staffOf(c).ID
	if err := s.store.CreateProgramme(ctx, &p); err != nil {
		return err
	}
	s.audit(c, "programme.create", p.ID, p.CountyID, p.SchoolID, p.Title)
	return c.JSON(http.StatusCreated, p)
}

// programmeDetail is a programme with each period's figures.
type programmeDetail struct {
	models.Programme
	Counts map[string]store.SessionCounts `json:"counts"`
}

// withPeriodPools reads a programme's pools once and sets each period's current capacity.
func (s *Server) withPeriodPools(ctx context.Context, p *models.Programme) (map[string]models.Pool, error) {
	pools, err := s.store.PoolsOf(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	for i := range p.Periods {
		pool := pools[p.Periods[i].ID]
		p.Periods[i].Capacity, p.Periods[i].Closed = pool.Capacity, pool.Closed
	}
	return pools, nil
}

func (s *Server) programmeDetail(c echo.Context) (programmeDetail, error) {
	ctx := c.Request().Context()
	p, err := s.store.ProgrammeInScope(ctx, scopeOf(c), c.Param("id"))
	if err != nil {
		return programmeDetail{}, err
	}
	pools, err := s.withPeriodPools(ctx, &p)
	if err != nil {
		return programmeDetail{}, err
	}
	periods := map[string]models.Pool{}
	for _, per := range p.Periods {
		periods[per.ID] = pools[per.ID]
	}
	counts, err := s.store.ProgrammeCounts(ctx, p, periods)
	return programmeDetail{p, counts}, err
}

func (s *Server) listProgrammes(c echo.Context) error {
	pg, err := pageParams(c)
	if err != nil {
		return err
	}
	list, next, err := s.store.Programmes(c.Request().Context(), scopeOf(c), pg)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listBody[models.Programme]{list, next})
}

func (s *Server) getProgramme(c echo.Context) error {
	d, err := s.programmeDetail(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

// programmePatch edits a programme's text and dates; fields left out keep their values.
type programmePatch struct {
	Title          *string    `json:"title"`
	Description    *string    `json:"description"`
	DailyStart     *string    `json:"daily_start"`
	DailyEnd       *string    `json:"daily_end"`
	FeeNote        *string    `json:"fee_note"`
	Offerings      []string   `json:"offerings"`
	EnrolOpens     *time.Time `json:"enrol_opens,omitzero"`
	EnrolCloses    *time.Time `json:"enrol_closes,omitzero"`
	CancelDeadline *time.Time `json:"cancel_deadline,omitzero"`
}

func (f *programmePatch) validate() error { return nil } // checked on the programme

func (s *Server) updateProgramme(c echo.Context) error {
	ctx := c.Request().Context()
	p, err := s.store.ProgrammeInScope(ctx, scopeOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	var f programmePatch
	if err := bind(c, &f); err != nil {
		return err
	}
	patchText(map[*string]*string{&p.Title: f.Title, &p.Description: f.Description, &p.DailyStart: f.DailyStart, &p.DailyEnd: f.DailyEnd, &p.FeeNote: f.FeeNote})
	patchTimes(map[*time.Time]*time.Time{&p.EnrolOpens: f.EnrolOpens, &p.EnrolCloses: f.EnrolCloses, &p.CancelDeadline: f.CancelDeadline})
	if f.Offerings != nil {
		p.Offerings = f.Offerings
	}
	if err := p.Validate(); err != nil {
		return err
	}
	if err := s.store.UpdateProgramme(ctx, &p); err != nil {
		return err
	}
	s.audit(c, "programme.update", p.ID, p.CountyID, p.SchoolID, p.Title)
	return s.getProgramme(c)
}

// programmeOwner describes a programme to the shared places steps (places.go).
func (s *Server) programmeOwner(p models.Programme) placesOwner {
	o := placesOwner{kind: "programme", poolKind: "period", id: p.ID, title: p.Title, countyID: p.CountyID, schoolID: p.SchoolID,
		setStatus: s.store.SetProgrammeStatus, setNotice: s.store.SetProgrammeNotice,
		signUpOwner: func(periodID string) string { return periodID },
		cancelled: func(children []string, title, body string) models.Notice {
			return jobs.CareNotice(p, children, title, body)
		},
		promoted: func(periodID string, got []models.SignUp) models.Notice {
			return jobs.CarePromotedNotice(p, periodID, got)
		}}
	for _, per := range p.Periods {
		o.pools = append(o.pools, placesPool{per.ID, per.Label})
	}
	return o
}

// publishProgramme opens enrolment; with channels it announces the programme by notice to the
// families of the grades its periods admit. It answers as publishEvent does: the programme as
// GET answers it, notice_id set when announced (see publishEvent).
func (s *Server) publishProgramme(c echo.Context) error {
	p, err := s.store.ProgrammeInScope(c.Request().Context(), scopeOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	aud := models.Audience{Kind: models.AudienceSchools, SchoolIDs: []string{p.SchoolID}}
	if grades := programmeGrades(p); len(grades) > 0 {
		aud = models.Audience{Kind: models.AudienceGrades, SchoolIDs: []string{p.SchoolID}, Grades: grades}
	}
	_, err = s.publishPlaces(c, s.programmeOwner(p), p.EnrolCloses, "enrol_closes", func(channels []string) models.Notice {
		return models.Notice{Kind: models.NoticeSummerCare, Title: p.Title, Body: programmeBody(p), Link: "pages/care/detail?id=" + p.ID,
			Audience: aud, Channels: channels, AuthorID: staffOf(c).ID, CountyID: p.CountyID, SchoolID: p.SchoolID, Sender: p.Sender}
	})
	if err != nil {
		return err
	}
	d, err := s.programmeDetail(c) // as published, with the notice recorded on it
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

// programmeGrades is every grade the periods admit (none when a period admits every grade).
func programmeGrades(p models.Programme) []int {
	seen := map[int]bool{}
	var out []int
	for _, per := range p.Periods {
		if len(per.Grades) == 0 {
			return nil
		}
		for _, g := range per.Grades {
			if !seen[g] {
				seen[g] = true
				out = append(out, g)
			}
		}
	}
	return out
}

func programmeBody(p models.Programme) string {
	var b strings.Builder
	b.WriteString(p.Sender + "开办" + p.Title + "，每日" + p.DailyStart + "–" + p.DailyEnd + "。内容：")
	for i, o := range p.Offerings {
		if i > 0 {
			b.WriteString("、")
		}
		b.WriteString(models.OfferingNames[o])
	}
	b.WriteString("。")
	for _, per := range p.Periods {
		b.WriteString(per.Label + "：" + per.StartsAt.In(models.Shanghai).Format("1月2日") + "–" + per.EndsAt.Add(-time.Hour).In(models.Shanghai).Format("1月2日") + "；")
	}
	if p.FeeNote != "" {
		b.WriteString("费用：" + p.FeeNote + "。")
	}
	b.WriteString("报名截止：" + p.EnrolCloses.In(models.Shanghai).Format("1月2日 15:04") + "。名额有限，请在小程序中报名。")
	return b.String()
}

// cancelProgramme cancels a whole programme: every period closes and its families are told.
func (s *Server) cancelProgramme(c echo.Context) error {
	p, err := s.store.ProgrammeInScope(c.Request().Context(), scopeOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	if err := s.cancelAllPlaces(c, s.programmeOwner(p)); err != nil {
		return err
	}
	p.Status = models.EventCancelled
	return c.JSON(http.StatusOK, p)
}

// cancelPeriod cancels one period; its families are told.
func (s *Server) cancelPeriod(c echo.Context) error {
	p, err := s.store.ProgrammeInScope(c.Request().Context(), scopeOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	if err := s.cancelOnePool(c, s.programmeOwner(p), c.Param("pid")); err != nil {
		return err
	}
	return s.getProgramme(c)
}

// setPeriodCapacity raises or lowers a period's places (never below those confirmed); raising
// it promotes families from the waiting list, who are told.
func (s *Server) setPeriodCapacity(c echo.Context) error {
	p, err := s.store.ProgrammeInScope(c.Request().Context(), scopeOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	if err := s.setPoolCapacity(c, s.programmeOwner(p), c.Param("pid")); err != nil {
		return err
	}
	return s.getProgramme(c)
}

// programmeEnrolments lists a period's enrolments (the roster), or the whole programme's.
func (s *Server) programmeEnrolments(c echo.Context) error {
	ctx := c.Request().Context()
	p, err := s.store.ProgrammeInScope(ctx, scopeOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	pg, err := pageParams(c)
	if err != nil {
		return err
	}
	period := c.QueryParam("period")
	if period == "" {
		if len(p.Periods) != 1 {
			return models.FieldErrors{"period": "请指定一期"}
		}
		period = p.Periods[0].ID
	} else if p.Period(period) == nil {
		return errNotFound
	}
	list, next, err := s.store.SignUpsOf(ctx, period, period, c.QueryParam("status"), pg)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listBody[models.SignUp]{list, next})
}

// exportProgramme downloads the rosters as XLSX: a summary sheet and one sheet per period,
// names masked as on the event lists.
func (s *Server) exportProgramme(c echo.Context) error {
	ctx := c.Request().Context()
	d, err := s.programmeDetail(c)
	if err != nil {
		return err
	}
	p := d.Programme
	summary := xlsxSheet{Name: "汇总", Header: []string{"期次", "开始日期", "结束日期", "名额", "已确认", "候补", "已取消"}}
	for _, per := range p.Periods {
		n := d.Counts[per.ID]
		summary.Rows = append(summary.Rows, []string{per.Label, per.StartsAt.In(models.Shanghai).Format("2006-01-02"),
			per.EndsAt.Add(-time.Hour).In(models.Shanghai).Format("2006-01-02"), strconv.Itoa(n.Capacity), strconv.Itoa(n.Confirmed),
			strconv.Itoa(n.Waiting), strconv.Itoa(n.Cancelled)})
	}
	sheets := []xlsxSheet{summary}
	for _, per := range p.Periods {
		sh := xlsxSheet{Name: per.Label, Header: []string{"序号", "学生", "年级", "班级", "状态", "报名时间"}}
		err := s.eachSignUp(ctx, per.ID, per.ID, func(su models.SignUp) {
			sh.Rows = append(sh.Rows, []string{strconv.Itoa(len(sh.Rows) + 1), su.ChildName, strconv.Itoa(su.Grade), su.Class,
				statusNames[su.Status], su.CreatedAt.In(models.Shanghai).Format("2006-01-02 15:04")})
		})
		if err != nil {
			return err
		}
		sheets = append(sheets, sh)
	}
	s.audit(c, "programme.export", p.ID, p.CountyID, p.SchoolID, "")
	return sendXLSX(c, sheets, p.Title+"-托管名单.xlsx")
}

// sendXLSX answers with a workbook as a download.
func sendXLSX(c echo.Context, sheets []xlsxSheet, filename string) error {
	b, err := writeXLSX(sheets)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, "attachment; filename*=UTF-8''"+url.PathEscape(filename))
	return c.Blob(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b)
}
