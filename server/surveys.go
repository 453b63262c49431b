package server

import (
	"context"
	"net/http"
	"sort"
	"time"

	"github.com/labstack/echo/v4"

	"kehou/jobs"
	"kehou/models"
	"kehou/store"
)

// surveyForm creates or edits a survey. With a template, the template fills what the form
// leaves out, and times default to "open now, close in two weeks": publishing the bureau's
// satisfaction survey takes a template name and an audience.
type surveyForm struct {
	Template    string            `json:"template"`
	Kind        string            `json:"kind"`
	Title       string            `json:"title"`
	Description string            `json:"description"`
	Audience    *models.Audience  `json:"audience"`
	OpensAt     *time.Time        `json:"opens_at,omitzero"`
	ClosesAt    *time.Time        `json:"closes_at,omitzero"`
	Anonymous   *bool             `json:"anonymous"`
	Questions   []models.Question `json:"questions"`
}

func (f *surveyForm) validate() error {
	if _, ok := models.SurveyTemplates[f.Template]; f.Template != "" && !ok {
		return models.FieldErrors{"template": "没有这个问卷模板"}
	}
	return nil
}

// apply writes the form over sv (a new survey or the stored one being edited).
func (f *surveyForm) apply(sv *models.Survey, now time.Time) {
	if tpl, ok := models.SurveyTemplates[f.Template]; ok {
		sv.Template, sv.Kind, sv.Title, sv.Description, sv.Anonymous = tpl.Name, tpl.Kind, tpl.Title, tpl.Description, tpl.Anonymous
		sv.Questions = tpl.Copy()
		sv.Audience = models.Audience{Kind: models.AudienceScope}
		sv.OpensAt = now
		sv.ClosesAt = now.Add(14 * 24 * time.Hour)
	}
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&sv.Kind, f.Kind)
	set(&sv.Title, f.Title)
	set(&sv.Description, f.Description)
	if f.Audience != nil {
		sv.Audience = *f.Audience
	}
	if f.OpensAt != nil {
		sv.OpensAt = f.OpensAt.UTC()
	}
	if f.ClosesAt != nil {
		sv.ClosesAt = f.ClosesAt.UTC()
	}
	if f.Anonymous != nil {
		sv.Anonymous = *f.Anonymous
	}
	if f.Questions != nil {
		sv.Questions = f.Questions
	}
	sv.Normalize()
}

func (s *Server) listSurveyTemplates(c echo.Context) error {
	out := make([]models.SurveyTemplate, 0, len(models.SurveyTemplates))
	for _, t := range models.SurveyTemplates {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return c.JSON(http.StatusOK, listBody[models.SurveyTemplate]{Items: out})
}

// createSurvey stores a draft owned by the author's school, county or the city.
func (s *Server) createSurvey(c echo.Context) error {
	var f surveyForm
	if err := bind(c, &f); err != nil {
		return err
	}
	var sv models.Survey
	f.apply(&sv, s.now().UTC().Truncate(time.Minute))
	if err := sv.Validate(); err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := s.placeSurvey(ctx, staffOf(c), &sv); err != nil {
		return err
	}
	if err := s.store.CreateSurvey(ctx, &sv); err != nil {
		return err
	}
	s.audit(c, "survey.create", sv.ID, sv.CountyID, sv.SchoolID, sv.Title)
	return c.JSON(http.StatusCreated, sv)
}

// placeSurvey sets the owner and sender from the author's scope and refuses an audience
// outside it, by the notices' rules.
func (s *Server) placeSurvey(ctx context.Context, st models.Staff, sv *models.Survey) error {
	n := models.Notice{Audience: sv.Audience}
	if err := s.placeNotice(ctx, st, &n); err != nil {
		return err
	}
	sv.AuthorID, sv.CountyID, sv.SchoolID, sv.Sender = n.AuthorID, n.CountyID, n.SchoolID, n.Sender
	return nil
}

// ownSurvey returns a survey the caller may manage: one they can see but that was sent from
// above them is 403, one they cannot see 404.
func (s *Server) ownSurvey(c echo.Context) (models.Survey, error) {
	scope := scopeOf(c)
	sv, err := s.store.SurveyVisible(c.Request().Context(), scope, c.Param("id"))
	if err != nil {
		return sv, err
	}
	if !scope.AllowsOwner(sv.SchoolID, sv.CountyID) {
		return sv, errForbidden
	}
	return sv, nil
}

func (s *Server) listSurveys(c echo.Context) error {
	p, err := pageParams(c)
	if err != nil {
		return err
	}
	list, next, err := s.store.Surveys(c.Request().Context(), scopeOf(c), c.QueryParam("status"), p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listBody[models.Survey]{list, next})
}

func (s *Server) getSurvey(c echo.Context) error {
	sv, err := s.store.SurveyVisible(c.Request().Context(), scopeOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sv)
}

// updateSurvey edits a survey until its first answer; fields left out keep their values.
func (s *Server) updateSurvey(c echo.Context) error {
	sv, err := s.ownSurvey(c)
	if err != nil {
		return err
	}
	var f surveyForm
	if err := bind(c, &f); err != nil {
		return err
	}
	if f.Template != "" {
		return models.FieldErrors{"template": "模板只能在新建问卷时使用"}
	}
	f.apply(&sv, s.now())
	if err := sv.Validate(); err != nil {
		return err
	}
	ctx := c.Request().Context()
	owner := sv
	if err := s.placeSurvey(ctx, staffOf(c), &sv); err != nil {
		return err
	}
	sv.AuthorID, sv.CountyID, sv.SchoolID, sv.Sender = owner.AuthorID, owner.CountyID, owner.SchoolID, owner.Sender
	if sv.Status == models.SurveyPublished && !sv.RemindAt.IsZero() {
		sv.RemindAt = s.remindAt(sv) // the close time may have moved
	}
	if err := s.store.UpdateSurvey(ctx, &sv); err != nil {
		return err
	}
	s.cache.surveys.Remove(sv.ID)
	s.audit(c, "survey.update", sv.ID, sv.CountyID, sv.SchoolID, sv.Title)
	return c.JSON(http.StatusOK, sv)
}

type publishForm struct {
	Channels []string `json:"channels"` // send the invitation as a notice on these channels
	Remind   *bool    `json:"remind"`   // remind those who have not answered (default: yes)
}

func (f *publishForm) validate() error { return nil }

// publishSurvey opens a draft to answers; with channels it invites the audience by notice, and
// unless told not to, a scheduled job reminds the families who have not answered once,
// KEHOU_SURVEY_REMIND_BEFORE before it closes.
func (s *Server) publishSurvey(c echo.Context) error {
	sv, err := s.ownSurvey(c)
	if err != nil {
		return err
	}
	var f publishForm
	if err := bind(c, &f); err != nil {
		return err
	}
	if f.Channels == nil {
		f.Channels = []string{}
	}
	now := s.now()
	if !sv.ClosesAt.After(now) {
		return models.FieldErrors{"closes_at": "截止时间已过，请先修改截止时间"}
	}
	invite := jobs.SurveyNotice(sv, f.Channels, false)
	if err := invite.Validate(s.channels...); err != nil {
		return err
	}
	var remindAt time.Time
	if f.Remind == nil || *f.Remind {
		remindAt = s.remindAt(sv)
	}
	ctx := c.Request().Context()
	if err := s.store.PublishSurvey(ctx, sv.ID, remindAt, f.Channels); err != nil {
		return err
	}
	s.cache.surveys.Remove(sv.ID)
	s.audit(c, "survey.publish", sv.ID, sv.CountyID, sv.SchoolID, sv.Title)
	if len(f.Channels) > 0 {
		invite.SendAt = sv.OpensAt
		if err := s.store.CreateNotice(ctx, &invite); err != nil {
			return err
		}
		s.enqueueFanout(c, invite)
		if err := s.store.SetSurveyNotice(ctx, sv.ID, invite.ID); err != nil {
			return err
		}
	}
	sv, err = s.store.Survey(ctx, sv.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sv)
}

// remindAt is when the families who have not answered are reminded: KEHOU_SURVEY_REMIND_BEFORE
// before close; zero when that is already past or before the survey opens.
func (s *Server) remindAt(sv models.Survey) time.Time {
	at := sv.ClosesAt.Add(-s.cfg.SurveyRemindBefore)
	if at.Before(sv.OpensAt) || at.Before(s.now()) {
		return time.Time{}
	}
	return at
}

func (s *Server) closeSurvey(c echo.Context) error {
	return s.moveSurvey(c, "survey.close", s.store.CloseSurvey)
}

func (s *Server) archiveSurvey(c echo.Context) error {
	return s.moveSurvey(c, "survey.archive", s.store.ArchiveSurvey)
}

func (s *Server) moveSurvey(c echo.Context, action string, move func(context.Context, models.Survey) error) error {
	sv, err := s.ownSurvey(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := move(ctx, sv); err != nil {
		return err
	}
	s.cache.surveys.Remove(sv.ID)
	s.audit(c, action, sv.ID, sv.CountyID, sv.SchoolID, "")
	if sv, err = s.store.Survey(ctx, sv.ID); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sv)
}

// surveyResults answers the figures within the caller's scope, by county and school.
func (s *Server) surveyResults(c echo.Context) error {
	ctx := c.Request().Context()
	sv, err := s.store.SurveyVisible(ctx, scopeOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	r, err := s.store.Results(ctx, sv, scopeOf(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

type textAnswerItem struct {
	store.TextAnswer
	School string `json:"school"`
}

// surveyTexts pages through one question's text answers (or "other" texts), with the school
// they came from and never the family; q searches them.
func (s *Server) surveyTexts(c echo.Context) error {
	ctx := c.Request().Context()
	scope := scopeOf(c)
	sv, err := s.store.SurveyVisible(ctx, scope, c.Param("id"))
	if err != nil {
		return err
	}
	if c.QueryParam("question") == "" {
		return models.FieldErrors{"question": "请指定要查看文字答案的题目（question 参数）"}
	}
	q := sv.Question(c.QueryParam("question"))
	if q == nil {
		return models.FieldErrors{"question": "问卷中没有这道题"}
	}
	if q.Type != models.QText && q.Type != models.QLongText && !hasOther(*q) {
		return models.FieldErrors{"question": "这道题没有文字答案"}
	}
	search := c.QueryParam("q")
	if len([]rune(search)) > 50 {
		return models.FieldErrors{"q": models.MsgTooLong}
	}
	p, err := pageParams(c)
	if err != nil {
		return err
	}
	schools, err := s.textSchools(ctx, sv, scope)
	if err != nil {
		return err
	}
	list, next, err := s.store.TextAnswers(ctx, sv.ID, scope, schools, *q, search, p)
	if err != nil {
		return err
	}
	names := map[string]string{}
	out := make([]textAnswerItem, 0, len(list))
	for _, t := range list {
		if _, ok := names[t.SchoolID]; !ok {
			if sc, err := s.store.School(ctx, t.SchoolID); err == nil {
				names[t.SchoolID] = sc.Name
			}
		}
		out = append(out, textAnswerItem{t, names[t.SchoolID]})
	}
	return c.JSON(http.StatusOK, listBody[textAnswerItem]{out, next})
}

func hasOther(q models.Question) bool {
	for _, o := range q.Options {
		if o.Other {
			return true
		}
	}
	return false
}

// textSchools are the schools whose text answers may be read: those with at least
// models.MinGroupForResults answers, where a text does not single out its family.
func (s *Server) textSchools(ctx context.Context, sv models.Survey, scope models.Scope) ([]string, error) {
	counts, err := s.store.ResponseCounts(ctx, sv.ID, scope)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for id, n := range counts {
		if n >= models.MinGroupForResults {
			out = append(out, id)
		}
	}
	return out, nil
}
