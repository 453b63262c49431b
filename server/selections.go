package server

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"kehou/models"
	"kehou/store"
)

type courseForm struct {
	Name          string `json:"name"`
	Category      string `json:"category"`
	Description   string `json:"description"`
	Grades        []int  `json:"grades"`
	Weekday       int    `json:"weekday"`
	Start         string `json:"start"`
	End           string `json:"end"`
	Capacity      int    `json:"capacity"`
	Teacher       string `json:"teacher"`
	InstitutionID string `json:"institution_id"`
}

// selectionForm creates a course menu with its selection window.
type selectionForm struct {
	SchoolID string                `json:"school_id"` // county and city staff name the school
	Term     string                `json:"term"`
	Title    string                `json:"title"`
	Courses  []courseForm          `json:"courses"`
	Rules    models.SelectionRules `json:"rules"`
	Opens    time.Time             `json:"opens,omitzero"`
	Closes   time.Time             `json:"closes,omitzero"`
}

func (f *selectionForm) validate() error { return nil } // checked on the selection

// createSelection creates a draft menu. Its lottery seed is drawn now and sealed; only the
// commitment (its hash) is shown until the draw.
func (s *Server) createSelection(c echo.Context) error {
	var f selectionForm
	if err := bind(c, &f); err != nil {
		return err
	}
	sel := models.Selection{Term: f.Term, Title: strings.TrimSpace(f.Title), Rules: f.Rules, Opens: f.Opens.UTC(), Closes: f.Closes.UTC()}
	for _, cf := range f.Courses {
		sel.Courses = append(sel.Courses, models.Course{Name: strings.TrimSpace(cf.Name), Category: cf.Category, Description: strings.TrimSpace(cf.Description),
			Grades: cf.Grades, Weekday: cf.Weekday, Start: cf.Start, End: cf.End, Capacity: cf.Capacity, Teacher: strings.TrimSpace(cf.Teacher),
			InstitutionID: cf.InstitutionID})
	}
	if err := sel.Validate(); err != nil {
		return err
	}
	ctx := c.Request().Context()
	sc, err := s.programmeSchool(ctx, scopeOf(c), f.SchoolID)
	if err != nil {
		return err
	}
	sel.SchoolID, sel.CountyID, sel.Sender, sel.AuthorID = sc.ID, sc.CountyID, sc.Name, staffOf(c).ID
	seed := make([]byte, 32)
	if _, err := rand.Read(seed); err != nil {
		return err
	}
	sel.Commitment = models.Commitment(hex.EncodeToString(seed))
	if err := s.store.CreateSelection(ctx, &sel); err != nil {
		return err
	}
	// The seed is sealed under the selection's id, known only now.
	if err := s.store.SetSelectionSeed(ctx, sel.ID, s.store.SealSeed(hex.EncodeToString(seed), sel.ID)); err != nil {
		return err
	}
	s.audit(c, "selection.create", sel.ID, sel.CountyID, sel.SchoolID, sel.Title)
	return c.JSON(http.StatusCreated, sel)
}

func (s *Server) listSelections(c echo.Context) error {
	pg, err := pageParams(c)
	if err != nil {
		return err
	}
	list, next, err := s.store.Selections(c.Request().Context(), scopeOf(c), pg)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listBody[models.Selection]{list, next})
}

// getSelection shows a selection with how many children ranked each course.
func (s *Server) getSelection(c echo.Context) error {
	ctx := c.Request().Context()
	sel, err := s.store.SelectionInScope(ctx, scopeOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	reqs, err := s.store.Requests(ctx, sel.ID)
	if err != nil {
		return err
	}
	for _, r := range reqs {
		for _, id := range r.Choices {
			if co := sel.Course(id); co != nil {
				co.Requests++
			}
		}
	}
	return c.JSON(http.StatusOK, sel)
}

// publishSelection opens the menu to families (the commitment is public from now on); with
// channels it tells the families of the grades the menu serves.
func (s *Server) publishSelection(c echo.Context) error {
	ctx := c.Request().Context()
	sel, err := s.store.SelectionInScope(ctx, scopeOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	var f eventPublishForm
	if err := bind(c, &f); err != nil {
		return err
	}
	if !sel.Closes.After(s.now()) {
		return models.FieldErrors{"closes": "选课截止时间已过"}
	}
	n := models.Notice{Kind: models.NoticeGeneral, Title: models.Truncate("选课通知："+sel.Title, models.MaxNoticeTitle),
		Body: sel.Sender + "发布了" + sel.Title + "，选课时间：" + sel.Opens.In(models.Shanghai).Format("1月2日 15:04") + "至" +
			sel.Closes.In(models.Shanghai).Format("1月2日 15:04") + "。报名人数超过名额的课程将公开摇号，摇号承诺值：" + sel.Commitment[:16] + "…",
		Link: "pages/selection/detail?id=" + sel.ID, Audience: models.Audience{Kind: models.AudienceSchools, SchoolIDs: []string{sel.SchoolID}},
		Channels: f.Channels, AuthorID: staffOf(c).ID, CountyID: sel.CountyID, SchoolID: sel.SchoolID, Sender: sel.Sender}
	if n.Channels == nil {
		n.Channels = []string{}
	}
	if err := n.Validate(s.channels...); err != nil {
		return err
	}
	if err := s.store.SetSelectionStatus(ctx, sel.ID, models.SelectionOpen, models.SelectionDraft); err != nil {
		return err
	}
	s.audit(c, "selection.publish", sel.ID, sel.CountyID, sel.SchoolID, sel.Commitment)
	if len(f.Channels) > 0 {
		if err := s.sendNotice(c, n); err != nil {
			return err
		}
	}
	sel.Status = models.SelectionOpen
	return c.JSON(http.StatusOK, sel)
}

// drawSelection allocates the places once the window has closed: the seed is revealed, the
// lottery runs on the anonymised requests, every child placed gets a confirmed place in its
// courses and every child who could still take a full course waits for it, in lottery order.
// It is safe to repeat after a failure: places already given are kept.
func (s *Server) drawSelection(c echo.Context) error {
	ctx := c.Request().Context()
	sel, err := s.store.SelectionInScope(ctx, scopeOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	if sel.Status != models.SelectionOpen {
		return store.ErrEventState
	}
	if s.now().Before(sel.Closes) {
		return newAPIError(http.StatusConflict, "selection_open", "选课尚未截止，截止后才能摇号")
	}
	seed, err := s.store.OpenSeed(sel)
	if err != nil {
		return err
	}
	reqs, err := s.store.Requests(ctx, sel.ID)
	if err != nil {
		return err
	}
	in := drawInputOf(sel, reqs)
	in.Seed = seed
	res, err := models.Draw(in)
	if err != nil {
		return err
	}
	if err := s.store.CreateCoursePools(ctx, sel); err != nil {
		return err
	}
	byCode := map[string]models.CourseRequest{}
	ids := make([]string, 0, len(reqs))
	for _, r := range reqs {
		byCode[r.Code] = r
		ids = append(ids, r.ChildID)
	}
	kids, err := s.store.ChildrenByID(ctx, ids)
	if err != nil {
		return err
	}
	join := func(courseID string, r models.CourseRequest, placed bool) error {
		ch, ok := kids[r.ChildID]
		if !ok {
			return nil // left the roster since choosing
		}
		do := s.store.Join
		if placed {
			do = s.store.JoinAhead
		}
		_, _, err := do(ctx, models.SignUp{Kind: models.SignUpCourse, ProgrammeID: sel.ID, OwnerID: courseID, PoolID: courseID,
			ChildID: ch.ID, MemberID: r.MemberID, SchoolID: ch.SchoolID, CountyID: ch.CountyID, ChildName: ch.NameMasked, Grade: ch.Grade, Class: ch.Class})
		return err
	}
	// Everyone placed first, in lottery order, then the waiting lists in lottery order.
	for _, code := range res.Order {
		for _, id := range res.Placed[code] {
			if err := join(id, byCode[code], true); err != nil {
				return err
			}
		}
	}
	for _, co := range sel.Courses {
		for _, code := range res.Waiting[co.ID] {
			if err := join(co.ID, byCode[code], false); err != nil {
				return err
			}
		}
	}
	if err := s.store.RevealSeed(ctx, sel.ID, seed, s.now()); err != nil {
		return err
	}
	s.audit(c, "selection.draw", sel.ID, sel.CountyID, sel.SchoolID, seed)
	if len(reqs) > 0 {
		children := make([]string, 0, len(reqs))
		for _, r := range reqs {
			children = append(children, r.ChildID)
		}
		n := models.Notice{Kind: models.NoticeGeneral, Title: models.Truncate("选课结果："+sel.Title, models.MaxNoticeTitle),
			Body: sel.Title + "的选课结果已公布，请在小程序中查看孩子的课程和候补情况。摇号种子已公开，可自行核验结果。",
			Link: "pages/selection/detail?id=" + sel.ID, Audience: models.Audience{Kind: models.AudienceChildren, ChildIDs: children},
			Channels: []string{"wxsubscribe", "sms"}, AuthorID: staffOf(c).ID, CountyID: sel.CountyID, SchoolID: sel.SchoolID, Sender: sel.Sender}
		n.Channels = slices.DeleteFunc(n.Channels, func(ch string) bool { return !slices.Contains(s.channels, ch) })
		if err := s.sendNotice(c, n); err != nil {
			return err
		}
	}
	return s.publicDrawOf(c, sel.ID)
}

// drawInputOf is the public data of a selection's draw (without the seed).
func drawInputOf(sel models.Selection, reqs []models.CourseRequest) models.DrawInput {
	in := models.DrawInput{Commitment: sel.Commitment, Seed: sel.Seed, Courses: sel.DrawCourses(),
		Rules: models.DrawRules{MaxCourses: sel.Rules.MaxCourses, MaxExtended: sel.Rules.MaxExtended}, Requests: []models.DrawRequest{}}
	for _, r := range reqs {
		in.Requests = append(in.Requests, models.DrawRequest{Code: r.Code, Choices: r.Choices})
	}
	return in
}

// publicDraw is what anyone may read of a selection's lottery: the menu and the commitment from
// the start, the anonymised requests once the window has closed, and the seed and result once
// drawn, so anyone can recompute the result (`kehou verify-draw`).
type publicDraw struct {
	SelectionID string             `json:"selection_id"`
	School      string             `json:"school"`
	Title       string             `json:"title"`
	Status      string             `json:"status"`
	Closes      time.Time          `json:"closes,omitzero"`
	Input       models.DrawInput   `json:"input"`
	Names       map[string]string  `json:"names"` // course id → name
	Result      *models.DrawResult `json:"result,omitempty"`
}

func (s *Server) publicDrawOf(c echo.Context, id string) error {
	ctx := c.Request().Context()
	sel, err := s.store.Selection(ctx, id)
	if err != nil {
		return err
	}
	if sel.Status == models.SelectionDraft {
		return errNotFound
	}
	out := publicDraw{SelectionID: sel.ID, School: sel.Sender, Title: sel.Title, Status: sel.Status, Closes: sel.Closes, Names: map[string]string{}}
	var reqs []models.CourseRequest
	if !s.now().Before(sel.Closes) {
		if reqs, err = s.store.Requests(ctx, sel.ID); err != nil {
			return err
		}
	}
	out.Input = drawInputOf(sel, reqs)
	for _, co := range sel.Courses {
		out.Names[co.ID] = co.Name
	}
	if sel.Status == models.SelectionDrawn {
		res, err := models.Draw(out.Input)
		if err != nil {
			return err
		}
		out.Result = &res
	}
	return c.JSON(http.StatusOK, out)
}

// publicDraw answers GET /api/v1/public/draws/:id without authentication.
func (s *Server) publicDraw(c echo.Context) error { return s.publicDrawOf(c, c.Param("id")) }

var errSelectionClosed = newAPIError(http.StatusConflict, "selection_closed", "不在选课时间内")

// isClosed reports whether families may no longer change requests.
func (s *Server) selectionClosed(sel models.Selection) bool {
	now := s.now()
	return sel.Status != models.SelectionOpen || now.Before(sel.Opens) || !now.Before(sel.Closes)
}
