package server

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"kehou/jobs"
	"kehou/models"
	"kehou/store"
)

type sessionForm struct {
	Label         string    `json:"label"`
	StartsAt      time.Time `json:"starts_at,omitzero"`
	EndsAt        time.Time `json:"ends_at,omitzero"`
	Capacity      int       `json:"capacity"`
	MaxCompanions int       `json:"max_companions"`
}

// eventForm creates an open day (or a similar event with places).
type eventForm struct {
	Title          string           `json:"title"`
	Description    string           `json:"description"`
	Place          string           `json:"place"`
	Audience       *models.Audience `json:"audience"`
	SignupOpens    *time.Time       `json:"signup_opens,omitzero"`
	SignupCloses   time.Time        `json:"signup_closes,omitzero"`
	CancelDeadline *time.Time       `json:"cancel_deadline,omitzero"`
	Sessions       []sessionForm    `json:"sessions"`
}

func (f *eventForm) validate() error { return nil } // checked on the event

func (f *eventForm) event(now time.Time) models.Event {
	e := models.Event{Title: strings.TrimSpace(f.Title), Description: strings.TrimSpace(f.Description), Place: strings.TrimSpace(f.Place),
		Audience: models.Audience{Kind: models.AudienceScope}, SignupOpens: now, SignupCloses: f.SignupCloses.UTC()}
	if f.Audience != nil {
		e.Audience = *f.Audience
	}
	if f.SignupOpens != nil {
		e.SignupOpens = f.SignupOpens.UTC()
	}
	if f.CancelDeadline != nil {
		e.CancelDeadline = f.CancelDeadline.UTC()
	}
	for _, s := range f.Sessions {
		e.Sessions = append(e.Sessions, models.EventSession{Label: strings.TrimSpace(s.Label), StartsAt: s.StartsAt.UTC(), EndsAt: s.EndsAt.UTC(),
			Capacity: s.Capacity, MaxCompanions: s.MaxCompanions})
	}
	return e
}

func (s *Server) createEvent(c echo.Context) error {
	var f eventForm
	if err := bind(c, &f); err != nil {
		return err
	}
	e := f.event(s.now().UTC().Truncate(time.Minute))
	if err := e.Validate(); err != nil {
		return err
	}
	ctx := c.Request().Context()
	n := models.Notice{Audience: e.Audience}
	if err := s.placeNotice(ctx, staffOf(c), &n); err != nil {
		return err
	}
	e.AuthorID, e.CountyID, e.SchoolID, e.Sender = n.AuthorID, n.CountyID, n.SchoolID, n.Sender
	if err := s.store.CreateEvent(ctx, &e); err != nil {
		return err
	}
	s.audit(c, "event.create", e.ID, e.CountyID, e.SchoolID, e.Title)
	return c.JSON(http.StatusCreated, e)
}

// eventDetail is an event with each session's figures.
type eventDetail struct {
	models.Event
	Counts map[string]store.SessionCounts `json:"counts"`
}

func (s *Server) withPools(ctx context.Context, e *models.Event) (map[string]models.Pool, error) {
	pools, err := s.store.PoolsOf(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	for i := range e.Sessions {
		p := pools[e.Sessions[i].ID]
		e.Sessions[i].Capacity, e.Sessions[i].Cancelled = p.Capacity, p.Closed
	}
	return pools, nil
}

func (s *Server) listEvents(c echo.Context) error {
	p, err := pageParams(c)
	if err != nil {
		return err
	}
	list, next, err := s.store.Events(c.Request().Context(), scopeOf(c), p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listBody[models.Event]{list, next})
}

func (s *Server) getEvent(c echo.Context) error {
	d, err := s.eventDetail(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

// eventDetail reads the event of the route within the caller's scope, its pools once, and the
// sessions' counts.
func (s *Server) eventDetail(c echo.Context) (eventDetail, error) {
	ctx := c.Request().Context()
	e, err := s.store.EventInScope(ctx, scopeOf(c), c.Param("id"))
	if err != nil {
		return eventDetail{}, err
	}
	pools, err := s.withPools(ctx, &e)
	if err != nil {
		return eventDetail{}, err
	}
	counts, err := s.store.EventCounts(ctx, e, pools)
	return eventDetail{e, counts}, err
}

// eventPatch edits an event's text and dates; fields left out keep their values.
type eventPatch struct {
	Title          *string    `json:"title"`
	Description    *string    `json:"description"`
	Place          *string    `json:"place"`
	SignupOpens    *time.Time `json:"signup_opens,omitzero"`
	SignupCloses   *time.Time `json:"signup_closes,omitzero"`
	CancelDeadline *time.Time `json:"cancel_deadline,omitzero"`
}

func (f *eventPatch) validate() error { return nil } // checked on the event

// updateEvent edits an event (not a cancelled one); sessions change through their own routes.
func (s *Server) updateEvent(c echo.Context) error {
	ctx := c.Request().Context()
	e, err := s.store.EventInScope(ctx, scopeOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	var f eventPatch
	if err := bind(c, &f); err != nil {
		return err
	}
	patchText(map[*string]*string{&e.Title: f.Title, &e.Description: f.Description, &e.Place: f.Place})
	patchTimes(map[*time.Time]*time.Time{&e.SignupOpens: f.SignupOpens, &e.SignupCloses: f.SignupCloses, &e.CancelDeadline: f.CancelDeadline})
	if err := e.Validate(); err != nil {
		return err
	}
	if err := s.store.UpdateEvent(ctx, &e); err != nil {
		return err
	}
	s.audit(c, "event.update", e.ID, e.CountyID, e.SchoolID, e.Title)
	return s.getEvent(c)
}

// eventOwner describes an event to the shared places steps (places.go).
func (s *Server) eventOwner(e models.Event) placesOwner {
	o := placesOwner{kind: "event", poolKind: "session", id: e.ID, title: e.Title, countyID: e.CountyID, schoolID: e.SchoolID,
		setStatus: s.store.SetEventStatus, setNotice: s.store.SetEventNotice,
		signUpOwner: func(string) string { return e.ID },
		cancelled: func(children []string, title, body string) models.Notice {
			return jobs.EventNotice(e, children, title, body)
		},
		promoted: func(poolID string, got []models.SignUp) models.Notice { return jobs.PromotedNotice(e, poolID, got) }}
	for _, ses := range e.Sessions {
		o.pools = append(o.pools, placesPool{ses.ID, ses.Label})
	}
	return o
}

// publishEvent opens sign-up; with channels it announces the event to its audience by notice.
//
// Publishing an event and publishing a summer-care programme answer the same shape: the
// published resource exactly as its GET answers it (the detail, with status published and each
// pool's counts), whose notice_id is the announcement's id when channels were given and absent
// when it was published without one.
func (s *Server) publishEvent(c echo.Context) error {
	e, err := s.store.EventInScope(c.Request().Context(), scopeOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	_, err = s.publishPlaces(c, s.eventOwner(e), e.SignupCloses, "signup_closes", func(channels []string) models.Notice {
		n := models.Notice{Kind: models.NoticeOpenDay, Title: e.Title, Body: eventBody(e), Link: "pages/event/detail?id=" + e.ID,
			Audience: e.Audience, Channels: channels, AuthorID: staffOf(c).ID, CountyID: e.CountyID, SchoolID: e.SchoolID, Sender: e.Sender}
		if len([]rune(n.Title)) > models.MaxNoticeTitle {
			n.Title = string([]rune(n.Title)[:models.MaxNoticeTitle])
		}
		return n
	})
	if err != nil {
		return err
	}
	d, err := s.eventDetail(c) // as published, with the notice recorded on it
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

func eventBody(e models.Event) string {
	var b strings.Builder
	b.WriteString(e.Sender + "举办" + e.Title + "，地点：" + e.Place + "。")
	for _, ses := range e.Sessions {
		b.WriteString(ses.Label + "：" + ses.StartsAt.In(models.Shanghai).Format("1月2日 15:04") + "；")
	}
	b.WriteString("报名截止：" + e.SignupCloses.In(models.Shanghai).Format("1月2日 15:04") + "。名额有限，请在小程序中报名。")
	return b.String()
}

// cancelEvent cancels the whole event: its places close and every family signed up is told.
func (s *Server) cancelEvent(c echo.Context) error {
	e, err := s.store.EventInScope(c.Request().Context(), scopeOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	if err := s.cancelAllPlaces(c, s.eventOwner(e)); err != nil {
		return err
	}
	e.Status = models.EventCancelled
	return c.JSON(http.StatusOK, e)
}

// cancelSession cancels one session; its families are told.
func (s *Server) cancelSession(c echo.Context) error {
	ctx := c.Request().Context()
	e, err := s.store.EventInScope(ctx, scopeOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	if err := s.cancelOnePool(c, s.eventOwner(e), c.Param("sid")); err != nil {
		return err
	}
	if _, err := s.withPools(ctx, &e); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, e)
}

// setCapacity raises or lowers a session's places (never below those confirmed); raising it
// promotes families from the waiting list, who are told.
func (s *Server) setCapacity(c echo.Context) error {
	e, err := s.store.EventInScope(c.Request().Context(), scopeOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	if err := s.setPoolCapacity(c, s.eventOwner(e), c.Param("sid")); err != nil {
		return err
	}
	return s.getEvent(c)
}

// staffSignUp is a sign-up as staff see it: with its session's label and the family's phone,
// masked (the number the parent authorised, else the roster's guardian number).
type staffSignUp struct {
	models.SignUp
	SessionLabel string `json:"session_label"`
	Phone        string `json:"phone,omitempty"` // masked: 138****5678
	// WaitingPosition is a waiting sign-up's place in its session's waiting list (1: next).
	WaitingPosition int `json:"waiting_position,omitempty"`
}

// familyPhone is a sign-up's family's number, masked; members caches the members read.
func (s *Server) familyPhone(ctx context.Context, su models.SignUp, members map[string]string) (string, error) {
	if p, ok := members[su.MemberID]; ok && p != "" {
		return p, nil
	}
	m, err := s.store.Member(ctx, su.MemberID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	phone, err := s.store.Phone(m)
	if err != nil {
		return "", err
	}
	if phone != "" {
		members[su.MemberID] = store.MaskPhone(phone)
		return members[su.MemberID], nil
	}
	ch, err := s.store.Child(ctx, su.ChildID)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	return ch.PhoneMasked, err
}

// eventSignUps lists a session's (or the whole event's) sign-ups with their check-in status.
func (s *Server) eventSignUps(c echo.Context) error {
	ctx := c.Request().Context()
	e, err := s.store.EventInScope(ctx, scopeOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	p, err := pageParams(c)
	if err != nil {
		return err
	}
	list, next, err := s.store.SignUpsOf(ctx, e.ID, c.QueryParam("session"), c.QueryParam("status"), p)
	if err != nil {
		return err
	}
	out := make([]staffSignUp, 0, len(list))
	phones := map[string]string{}
	// A page is in id order, the waiting list's order, and holds every waiting sign-up of a
	// session between its first and last: one count per session gives the first's position,
	// the next ones follow it.
	after := map[string]int{}
	for _, su := range list {
		v := staffSignUp{SignUp: su}
		if su.Status == models.SignUpWaiting {
			if n, seen := after[su.PoolID]; seen {
				v.WaitingPosition = n + 1
			} else if v.WaitingPosition, err = s.store.WaitingPosition(ctx, su); err != nil {
				return err
			}
			after[su.PoolID] = v.WaitingPosition
		}
		if ses := e.Session(su.PoolID); ses != nil {
			v.SessionLabel = ses.Label
		}
		if v.Phone, err = s.familyPhone(ctx, su, phones); err != nil {
			return err
		}
		out = append(out, v)
	}
	return c.JSON(http.StatusOK, listBody[staffSignUp]{out, next})
}

// checkinForm names a sign-up to check in: by its QR code's token, or by the short code its
// family reads out, with the event (a code is unique within its event only).
type checkinForm struct {
	Token   string `json:"token"`
	Code    string `json:"code"`
	EventID string `json:"event_id"` // the event being checked in; a token of another is refused
}

func (f *checkinForm) validate() error {
	f.Token, f.Code = strings.TrimSpace(f.Token), strings.TrimSpace(f.Code)
	switch {
	case f.Token == "" && f.Code == "":
		return models.FieldErrors{"token": models.MsgRequired}
	case f.Token != "" && f.Code != "":
		return models.FieldErrors{"code": "请只填写入场码或签到码中的一个"}
	case f.Code != "" && f.EventID == "":
		return models.FieldErrors{"event_id": "用签到码签到时须指明活动"}
	}
	return nil
}

// checkin accepts a sign-up's QR code (or its short code) once, only for its own event and
// school, from two hours before its session starts until it ends.
func (s *Server) checkin(c echo.Context) error {
	var f checkinForm
	if err := bind(c, &f); err != nil {
		return err
	}
	var e models.Event
	var su models.SignUp
	var err error
	if f.Code != "" {
		e, su, err = s.checkinByCode(c, f)
	} else {
		e, su, err = s.checkinByToken(c, f)
	}
	if err != nil {
		return err
	}
	if su.OwnerID != e.ID || su.Status != models.SignUpConfirmed {
		return newAPIError(http.StatusConflict, "checkin_not_confirmed", "该报名未确认或已取消")
	}
	// Check-in is taken from two hours before the session starts until it ends.
	if ses := e.Session(su.PoolID); ses == nil {
		return newAPIError(http.StatusConflict, "checkin_not_confirmed", "该报名未确认或已取消")
	} else if why := ses.CheckinClosed(s.now()); why != "" {
		code := "checkin_too_early"
		if !s.now().Before(ses.EndsAt) {
			code = "checkin_session_over"
		}
		return newAPIError(http.StatusUnprocessableEntity, code, why)
	}
	ctx := c.Request().Context()
	ok, err := s.store.CheckIn(ctx, su.ID)
	if err != nil {
		return err
	}
	if !ok {
		return newAPIError(http.StatusConflict, "already_checked_in", "该入场码已签到，不能重复使用")
	}
	s.audit(c, "event.checkin", su.ID, e.CountyID, e.SchoolID, "")
	su, err = s.store.SignUp(ctx, su.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, su)
}

var errOtherSchoolCode = newAPIError(http.StatusUnprocessableEntity, "checkin_other_school", "这不是本校活动的入场码")

// checkinByToken reads the signed token of a QR code (or pasted): its event, within the
// caller's scope, and its sign-up.
func (s *Server) checkinByToken(c echo.Context, f checkinForm) (models.Event, models.SignUp, error) {
	t, err := models.ParseCheckinToken(s.store.Sealer().TokenKey(), f.Token, s.now())
	switch {
	case errors.Is(err, models.ErrTokenExpired):
		return models.Event{}, models.SignUp{}, newAPIError(http.StatusUnprocessableEntity, "checkin_expired", "入场码已过期")
	case err != nil || t.Kind != "": // a volunteer's attendance code is not an entry code
		return models.Event{}, models.SignUp{}, newAPIError(http.StatusUnprocessableEntity, "checkin_invalid", "入场码无效")
	}
	if f.EventID != "" && f.EventID != t.EventID {
		return models.Event{}, models.SignUp{}, newAPIError(http.StatusUnprocessableEntity, "checkin_other_event", "这不是本活动的入场码")
	}
	ctx := c.Request().Context()
	scope := scopeOf(c)
	e, err := s.store.EventInScope(ctx, scope, t.EventID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !scope.AllowsSchool(t.SchoolID, e.CountyID) && scope.Role == models.RoleSchool) {
		return e, models.SignUp{}, errOtherSchoolCode
	} else if err != nil {
		return e, models.SignUp{}, err
	}
	su, err := s.store.SignUp(ctx, t.SignUpID)
	if err == nil && su.SchoolID != t.SchoolID {
		su.Status = "" // not the sign-up the token was signed for
	}
	return e, su, err
}

// checkinByCode finds the sign-up of the named event (within the caller's scope) whose family
// read out code. A code of another event is not found in this one. Why guessing is not a
// practical threat is said at models.CheckinCodeLen; misses are counted per staff account, and
// past models.MaxCheckinMisses in a minute the account's code attempts are refused (429), hits
// included, until the minute has passed.
func (s *Server) checkinByCode(c echo.Context, f checkinForm) (models.Event, models.SignUp, error) {
	ctx := c.Request().Context()
	who := principal(c)
	if over, retry := s.checkinMissesOver(ctx, who); over {
		return models.Event{}, models.SignUp{}, &apiError{Status: http.StatusTooManyRequests, Code: "rate_limited",
			Message: "签到码错误次数过多，请稍后再试或扫码签到", RetryAfter: retry}
	}
	miss := func(msg string) error {
		s.allow(ctx, bucketCheckinMiss, who, models.MaxCheckinMisses)
		return &apiError{Status: http.StatusUnprocessableEntity, Code: "checkin_invalid", Message: msg, Fields: map[string]string{"code": msg}}
	}
	code, ok := models.NormalizeCheckinCode(f.Code)
	if !ok {
		return models.Event{}, models.SignUp{}, miss("签到码应为8位数字，请核对后重新输入")
	}
	scope := scopeOf(c)
	e, err := s.store.EventInScope(ctx, scope, f.EventID)
	if errors.Is(err, store.ErrNotFound) {
		return e, models.SignUp{}, errOtherSchoolCode
	} else if err != nil {
		return e, models.SignUp{}, err
	}
	su, err := s.store.SignUpByCheckinCode(ctx, e.ID, code)
	if errors.Is(err, store.ErrNotFound) {
		return e, su, miss("本活动没有这个签到码，请核对后重新输入")
	}
	if err == nil && scope.Role == models.RoleSchool && !scope.AllowsSchool(su.SchoolID, e.CountyID) {
		return e, su, errOtherSchoolCode // a county's event: each school checks in its own families
	}
	return e, su, err
}

// bucketCheckinMiss counts a staff account's wrong check-in codes.
const bucketCheckinMiss = "checkin_miss"

// checkinMissesOver reports, without counting, whether the account has reached
// models.MaxCheckinMisses wrong codes in the last minute (the sliding window of ratelimit.go);
// with Redis down it lets the attempt through, as the rate limits do.
func (s *Server) checkinMissesOver(ctx context.Context, who string) (bool, int) {
	ctx, cancel := cacheCtx(ctx)
	defer cancel()
	w := s.window()
	vals, err := s.rdb.MGet(ctx, rateKey(bucketCheckinMiss, who, w.minute), rateKey(bucketCheckinMiss, who, w.minute-1)).Result()
	if err != nil || len(vals) != 2 {
		return false, 0
	}
	n := func(v any) int64 {
		x, _ := v.(string)
		i, _ := strconv.ParseInt(x, 10, 64)
		return i
	}
	return w.over(n(vals[0])+1, n(vals[1]), models.MaxCheckinMisses)
}
