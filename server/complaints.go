package server

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"go.mongodb.org/mongo-driver/v2/bson"

	"kehou/jobs"
	"kehou/models"
	"kehou/store"
)

// actorOf is who a staff member acts as in the complaint workflow: school staff for their school,
// county and city staff as the county that keeps the ledger.
func actorOf(c echo.Context) string {
	if scopeOf(c).Role == models.RoleSchool {
		return models.ActorSchool
	}
	return models.ActorCounty
}

type complaintForm struct {
	Source     string `json:"source"`
	SourceRef  string `json:"source_ref"`
	ReceivedOn string `json:"received_on"` // 2026-11-20
	CountyID   string `json:"county_id"`   // city staff: the county that keeps it (or give school_id)
	SchoolID   string `json:"school_id"`
	Category   string `json:"category"`
	Text       string `json:"text"`
}

func (f *complaintForm) validate() error { return nil } // checked on the complaint

// createComplaint records a complaint that came by 12345, phone, e-mail or a visit.
func (s *Server) createComplaint(c echo.Context) error {
	var f complaintForm
	if err := bind(c, &f); err != nil {
		return err
	}
	if actorOf(c) != models.ActorCounty {
		return errForbidden
	}
	day, ok := models.ParseDay(f.ReceivedOn)
	cp := models.Complaint{Source: f.Source, SourceRef: strings.TrimSpace(f.SourceRef), ReceivedOn: models.Day{Time: day}, Category: f.Category, Text: strings.TrimSpace(f.Text)}
	fe := models.FieldErrors{}
	if err := cp.Validate(); err != nil {
		fe = err.(models.FieldErrors)
	}
	if !ok && f.ReceivedOn != "" {
		fe["received_on"] = "应为日期，如 2026-11-20"
	} else if ok && day.After(s.now()) {
		fe["received_on"] = "收到日期不能晚于今天"
	}
	if f.Source == models.SourceMiniProgram {
		fe["source"] = "小程序来件由家长提交"
	}
	if err := fe.Err(); err != nil {
		return err
	}
	if err := s.placeComplaint(c, &cp, f.CountyID, f.SchoolID); err != nil {
		return err
	}
	if err := s.store.CreateComplaint(c.Request().Context(), &cp, staffOf(c).ID); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return &apiError{Status: http.StatusConflict, Code: "duplicate_ticket", Message: "该工单编号已在台账中",
				Fields: map[string]string{"source_ref": "该工单编号已在台账中"}}
		}
		return err
	}
	s.audit(c, "complaint.create", cp.ID, cp.CountyID, cp.SchoolID, cp.Source+" "+cp.SourceRef)
	return c.JSON(http.StatusCreated, s.withOverdue(cp))
}

// placeComplaint sets the county (and school, when named) within the caller's scope.
func (s *Server) placeComplaint(c echo.Context, cp *models.Complaint, countyID, schoolID string) error {
	ctx := c.Request().Context()
	scope := scopeOf(c)
	if schoolID != "" {
		sc, err := s.store.SchoolInScope(ctx, scope, schoolID)
		if errors.Is(err, store.ErrNotFound) {
			return models.FieldErrors{"school_id": "范围内没有该学校"}
		} else if err != nil {
			return err
		}
		cp.SchoolID, cp.CountyID = sc.ID, sc.CountyID
		return nil
	}
	if scope.Role == models.RoleCounty {
		countyID = scope.CountyID
	}
	if countyID == "" {
		return models.FieldErrors{"county_id": "请指定承办区县或学校"}
	}
	if _, err := s.store.County(ctx, countyID); errors.Is(err, store.ErrNotFound) || !scope.AllowsCounty(countyID) {
		return models.FieldErrors{"county_id": "范围内没有该区县"}
	} else if err != nil {
		return err
	}
	cp.CountyID = countyID
	return nil
}

// complaintFilter reads the ledger's filters from the query.
func complaintFilter(c echo.Context) (store.ComplaintFilter, error) {
	f := store.ComplaintFilter{Status: c.QueryParam("status"), Source: c.QueryParam("source"), Category: c.QueryParam("category"),
		SchoolID: c.QueryParam("school_id"), Overdue: c.QueryParam("overdue") == "true"}
	fe := models.FieldErrors{}
	for name, dst := range map[string]*time.Time{"from": &f.From, "to": &f.To} {
		if q := c.QueryParam(name); q != "" {
			d, ok := models.ParseDay(q)
			if !ok {
				fe.Add(name, "应为日期，如 2026-11-01")
			}
			*dst = d
		}
	}
	if !f.To.IsZero() {
		f.To = f.To.AddDate(0, 0, 1) // through the day given
	}
	return f, fe.Err()
}

func (s *Server) listComplaints(c echo.Context) error {
	f, err := complaintFilter(c)
	if err != nil {
		return err
	}
	pg, err := pageParams(c)
	if err != nil {
		return err
	}
	list, next, err := s.store.Complaints(c.Request().Context(), scopeOf(c), f, pg)
	if err != nil {
		return err
	}
	for i := range list {
		list[i] = s.withOverdue(list[i])
	}
	return c.JSON(http.StatusOK, listBody[models.Complaint]{list, next})
}

// withOverdue says in the answer whether the complaint is past its deadline now, by the rule the
// ledger and the reports use (models.Complaint.Overdue), so that no screen works it out again.
func (s *Server) withOverdue(cp models.Complaint) models.Complaint {
	cp.IsOverdue = cp.Overdue(s.now())
	return cp
}

func (s *Server) getComplaint(c echo.Context) error {
	cp, err := s.store.ComplaintInScope(c.Request().Context(), scopeOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.withOverdue(cp))
}

// stepForm carries what a workflow step needs; each step uses some of it.
type stepForm struct {
	SchoolID     string   `json:"school_id"`     // assign
	DeadlineDays int      `json:"deadline_days"` // assign: working days (default 5)
	Outcome      string   `json:"outcome"`       // rectify: what was done; dismiss: why
	Evidence     []string `json:"evidence"`      // rectify: links
	Accepted     *bool    `json:"accepted"`      // verify
	Note         string   `json:"note"`
}

func (f *stepForm) validate() error {
	fe := models.FieldErrors{}
	if f.DeadlineDays < 0 || f.DeadlineDays > 60 {
		fe.Add("deadline_days", "办理时限应为1–60个工作日")
	}
	if len(f.Evidence) > 20 {
		fe.Add("evidence", "最多20个佐证链接")
	}
	for i, link := range f.Evidence {
		fe.CheckText(fmt.Sprintf("evidence[%d]", i), link, 500)
	}
	fe.CheckOptionalText("outcome", f.Outcome, 2000)
	fe.CheckOptionalText("note", f.Note, 500)
	return fe.Err()
}

// complaintStep moves a complaint one step of the workflow (the route names the step); who may
// take which step is models.CanMove's table.
func (s *Server) complaintStep(c echo.Context) error {
	ctx := c.Request().Context()
	cp, err := s.store.ComplaintInScope(ctx, scopeOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	var f stepForm
	if err := bind(c, &f); err != nil {
		return err
	}
	step := c.Param("step")
	set := bson.M{}
	to, note := "", strings.TrimSpace(f.Note)
	switch step {
	case models.StepAssign:
		to = models.ComplaintAssigned
		sc, err := s.store.SchoolInScope(ctx, scopeOf(c), f.SchoolID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && sc.CountyID != cp.CountyID) {
			return models.FieldErrors{"school_id": "请选择本区县的承办学校"}
		} else if err != nil {
			return err
		}
		days := f.DeadlineDays
		if days == 0 {
			days = models.DefaultDeadlineDays
		}
		deadline, err := s.addWorkingDays(c, s.now(), days)
		if err != nil {
			return err
		}
		set["school_id"], set["deadline"], set["escalated"] = sc.ID, deadline, false
		if note == "" {
			note = sc.Name
		} else {
			note = sc.Name + "，" + note
		}
	case models.StepStart:
		to = models.ComplaintInProgress
	case models.StepRectify:
		to = models.ComplaintRectified
		if strings.TrimSpace(f.Outcome) == "" {
			return models.FieldErrors{"outcome": "请填写整改情况"}
		}
		set["outcome"], set["evidence"] = strings.TrimSpace(f.Outcome), f.Evidence
	case models.StepVerify:
		if f.Accepted == nil {
			return models.FieldErrors{"accepted": models.MsgRequired}
		}
		to = models.ComplaintVerified
		if !*f.Accepted {
			to = models.ComplaintInProgress // the rectification falls short: back to the school
			if note == "" {
				return models.FieldErrors{"note": "退回整改请说明原因"}
			}
		}
	case models.StepClose:
		to = models.ComplaintClosed
	case models.StepDismiss:
		to = models.ComplaintDismissed
		if strings.TrimSpace(f.Outcome) == "" {
			return models.FieldErrors{"outcome": "请说明不予受理的理由"}
		}
		set["outcome"] = strings.TrimSpace(f.Outcome)
	default:
		return errNotFound
	}
	if why := models.CanMove(cp.Status, to, actorOf(c)); why != "" {
		return newAPIError(http.StatusConflict, "complaint_state", why)
	}
	cp, err = s.store.MoveComplaint(ctx, cp.ID, cp.Status, to, set, models.ComplaintStep{By: staffOf(c).ID, Note: note})
	if err != nil {
		return err
	}
	s.audit(c, "complaint."+step, cp.ID, cp.CountyID, cp.SchoolID, note)
	if err := s.tellComplainant(c, cp); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.withOverdue(cp))
}

// tellComplainant tells the parent who complained (from the mini-program) of progress.
func (s *Server) tellComplainant(c echo.Context, cp models.Complaint) error {
	if cp.MemberID == "" {
		return nil
	}
	body := map[string]string{
		models.ComplaintAssigned:   "您反映的问题已交办学校处理，请耐心等待。",
		models.ComplaintInProgress: "您反映的问题正在办理中。",
		models.ComplaintRectified:  "您反映的问题已整改：" + cp.Outcome,
		models.ComplaintVerified:   "您反映的问题整改情况已经区县教育局核查。",
		models.ComplaintClosed:     "您反映的问题已办结，欢迎在小程序中对办理情况进行评价。",
		models.ComplaintDismissed:  "您反映的问题不予受理：" + cp.Outcome,
	}[cp.Status]
	if body == "" {
		return nil
	}
	return s.sendNotice(c, jobs.ComplaintNotice(cp, body))
}

type lookBackForm struct {
	Recurred *bool  `json:"recurred"`
	Note     string `json:"note"`
}

func (f *lookBackForm) validate() error {
	fe := models.FieldErrors{}
	if f.Recurred == nil {
		fe.Add("recurred", models.MsgRequired)
	}
	fe.CheckOptionalText("note", f.Note, 500)
	return fe.Err()
}

// recordLookBack records the county's look-back: did the problem come back?
func (s *Server) recordLookBack(c echo.Context) error {
	ctx := c.Request().Context()
	cp, err := s.store.ComplaintInScope(ctx, scopeOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	if actorOf(c) != models.ActorCounty {
		return errForbidden
	}
	var f lookBackForm
	if err := bind(c, &f); err != nil {
		return err
	}
	if cp.LookBack == nil {
		return newAPIError(http.StatusConflict, "complaint_state", "该件尚未到回头看时间")
	}
	cp, err = s.store.RecordLookBack(ctx, cp.ID, *f.Recurred, strings.TrimSpace(f.Note), staffOf(c).ID)
	if err != nil {
		return err
	}
	s.audit(c, "complaint.look_back", cp.ID, cp.CountyID, cp.SchoolID, f.Note)
	return c.JSON(http.StatusOK, s.withOverdue(cp))
}
