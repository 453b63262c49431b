package server

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"kehou/models"
)

// mpSession is a session as parents see it: how many places are left.
type mpSession struct {
	models.EventSession
	Free int `json:"free"`
}

// mpEvent is an event open to one of the caller's children.
type mpEvent struct {
	ID             string      `json:"id"`
	Title          string      `json:"title"`
	Description    string      `json:"description"`
	Place          string      `json:"place"`
	Sender         string      `json:"sender"`
	SignupCloses   time.Time   `json:"signup_closes,omitzero"`
	CancelDeadline time.Time   `json:"cancel_deadline,omitzero"`
	Sessions       []mpSession `json:"sessions"`
	Children       []mpChild   `json:"children"` // the caller's children it is open to
}

// mpChild names one of the caller's children as the mini-program shows it: the name masked.
type mpChild struct {
	ID   string `json:"id"`
	Name string `json:"name"` // masked
}

// mpEventDetail is an event with the family's own sign-ups for it (a waiting one with its
// place in the waiting list).
type mpEventDetail struct {
	mpEvent
	MySignUps []mySignUp `json:"my_signups"`
}

func (s *Server) mpEventOf(c echo.Context, e models.Event, kids []models.Child) (mpEvent, error) {
	pools, err := s.withPools(c.Request().Context(), &e)
	if err != nil {
		return mpEvent{}, err
	}
	out := mpEvent{ID: e.ID, Title: e.Title, Description: e.Description, Place: e.Place, Sender: e.Sender,
		SignupCloses: e.SignupCloses, CancelDeadline: e.CancelDeadline, Children: []mpChild{}}
	for _, ses := range e.Sessions {
		out.Sessions = append(out.Sessions, mpSession{ses, pools[ses.ID].Free})
	}
	for _, k := range kids {
		if e.Reaches(k.SchoolID, k.CountyID, k.Grade, k.Class) {
			out.Children = append(out.Children, mpChild{ID: k.ID, Name: k.NameMasked})
		}
	}
	return out, nil
}

// mpEvents lists the events open for sign-up to the caller's children.
func (s *Server) mpEvents(c echo.Context) error {
	ctx := c.Request().Context()
	kids, schools, counties, err := s.myPupilsAndPlaces(c)
	if err != nil {
		return err
	}
	events, err := s.store.OpenEvents(ctx, s.now(), schools, counties)
	if err != nil {
		return err
	}
	out := []mpEvent{}
	for _, e := range events {
		me, err := s.mpEventOf(c, e, kids)
		if err != nil {
			return err
		}
		if len(me.Children) > 0 {
			out = append(out, me)
		}
	}
	return c.JSON(http.StatusOK, listBody[mpEvent]{Items: out})
}

// myEvent finds a published (or cancelled) event open to one of the caller's children.
func (s *Server) myEvent(c echo.Context, id string) (models.Event, []models.Child, error) {
	e, err := s.store.Event(c.Request().Context(), id)
	if err != nil {
		return e, nil, err
	}
	kids, err := s.reachedChildren(c, e.Status, func(k models.Child) bool { return e.Reaches(k.SchoolID, k.CountyID, k.Grade, k.Class) })
	return e, kids, err
}

func (s *Server) mpEvent(c echo.Context) error {
	e, kids, err := s.myEvent(c, c.Param("id"))
	if err != nil {
		return err
	}
	me, err := s.mpEventOf(c, e, kids)
	if err != nil {
		return err
	}
	out := mpEventDetail{mpEvent: me, MySignUps: []mySignUp{}}
	ctx := c.Request().Context()
	list, err := s.store.SignUpsOfMember(ctx, memberOf(c).ID, "")
	if err != nil {
		return err
	}
	for _, su := range list {
		if su.OwnerID != e.ID {
			continue
		}
		v, err := s.mySignUpNow(ctx, e, su)
		if err != nil {
			return err
		}
		out.MySignUps = append(out.MySignUps, v)
	}
	return c.JSON(http.StatusOK, out)
}

type signUpForm struct {
	ChildID    string `json:"child_id"`
	SessionID  string `json:"session_id"`
	Companions int    `json:"companions"`
}

func (f *signUpForm) validate() error {
	fe := models.FieldErrors{}
	if f.ChildID == "" {
		fe.Add("child_id", models.MsgRequired)
	}
	if f.SessionID == "" {
		fe.Add("session_id", models.MsgRequired)
	}
	return fe.Err()
}

// mySignUp is a sign-up as its family sees it, with the check-in code once confirmed.
type mySignUp struct {
	models.SignUp
	EventTitle   string    `json:"event_title"`
	SessionLabel string    `json:"session_label"`
	StartsAt     time.Time `json:"starts_at,omitzero"`
	CheckinToken string    `json:"checkin_token,omitempty"` // the QR code's content
	// CheckinCode is the short code the family reads out when the QR code cannot be scanned.
	CheckinCode string `json:"checkin_code,omitempty"`
	// WaitingPosition is a waiting family's place in the session's waiting list (1: next).
	WaitingPosition int    `json:"waiting_position,omitempty"`
	Message         string `json:"message"`
}

// mySignUpNow is a sign-up as its family sees it now: confirmed, with its short check-in code
// (one stored before codes existed is given one here, the first time its family looks: the
// family that can show the QR code has looked, so every family that can check in has a code);
// waiting, with its place in the waiting list.
func (s *Server) mySignUpNow(ctx context.Context, e models.Event, su models.SignUp) (mySignUp, error) {
	var err error
	if su.Status == models.SignUpConfirmed {
		if su, err = s.store.EnsureCheckinCode(ctx, su); err != nil {
			return mySignUp{}, err
		}
	}
	v := s.mySignUpOf(e, su)
	v.WaitingPosition, err = s.store.WaitingPosition(ctx, su)
	return v, err
}

func (s *Server) mySignUpOf(e models.Event, su models.SignUp) mySignUp {
	out := mySignUp{SignUp: su, EventTitle: e.Title}
	if ses := e.Session(su.PoolID); ses != nil {
		out.SessionLabel, out.StartsAt = ses.Label, ses.StartsAt
	}
	out.Message = placesMessage(su.Status, "报名成功，名额已确认。入场时请出示入场码。")
	if su.Status == models.SignUpConfirmed {
		out.CheckinToken = models.CheckinToken{SignUpID: su.ID, EventID: e.ID, SchoolID: su.SchoolID,
			Expires: e.Ends().Add(12 * time.Hour)}.Sign(s.store.Sealer().TokenKey())
		out.CheckinCode = su.CheckinCode()
	}
	return out
}

// signUp signs a child up for one session. The answer is the truth: "confirmed" means places
// are held, "waiting" means the family is on the waiting list. A child already signed up for
// the event gets that sign-up back (200), whatever the session asked.
func (s *Server) signUp(c echo.Context) error {
	var f signUpForm
	if err := bind(c, &f); err != nil {
		return err
	}
	e, kids, err := s.myEvent(c, c.Param("id"))
	if err != nil {
		return err
	}
	child, err := childAmong(kids, f.ChildID, "该活动不面向这名孩子")
	if err != nil {
		return err
	}
	pools, err := s.withPools(c.Request().Context(), &e)
	if err != nil {
		return err
	}
	ses := e.Session(f.SessionID)
	if why := e.CanSignUp(s.now(), ses, f.Companions); why != "" {
		if ses == nil {
			return models.FieldErrors{"session_id": why}
		}
		if f.Companions < 0 || f.Companions > ses.MaxCompanions {
			return models.FieldErrors{"companions": why}
		}
		return newAPIError(http.StatusConflict, "signup_closed", why)
	}
	if 1+f.Companions > pools[ses.ID].Capacity {
		return models.FieldErrors{"companions": "该场次名额少于您的随行人数"}
	}
	su, status, err := s.joinPlaces(c, s.eventOwner(e), models.SignUp{PoolID: ses.ID, OwnerID: e.ID, ChildID: child.ID, MemberID: memberOf(c).ID,
		SchoolID: child.SchoolID, CountyID: child.CountyID, Companions: f.Companions, ChildName: child.NameMasked, Grade: child.Grade, Class: child.Class})
	if err != nil {
		return err
	}
	v, err := s.mySignUpNow(c.Request().Context(), e, su)
	if err != nil {
		return err
	}
	return c.JSON(status, v)
}

// mySignUps lists the caller's sign-ups (of every child, every event) with check-in codes, and
// the waiting ones with their place in the waiting list.
func (s *Server) mySignUps(c echo.Context) error {
	ctx := c.Request().Context()
	list, err := s.store.SignUpsOfMember(ctx, memberOf(c).ID, "")
	if err != nil {
		return err
	}
	events := map[string]models.Event{}
	out := make([]mySignUp, 0, len(list))
	for _, su := range list {
		e, ok := events[su.OwnerID]
		if !ok {
			if e, err = s.store.Event(ctx, su.OwnerID); err != nil {
				return err
			}
			events[su.OwnerID] = e
		}
		v, err := s.mySignUpNow(ctx, e, su)
		if err != nil {
			return err
		}
		out = append(out, v)
	}
	return c.JSON(http.StatusOK, listBody[mySignUp]{Items: out})
}

// cancelMySignUp cancels a sign-up before the event's cancellation deadline; its places go to
// the waiting list at once.
func (s *Server) cancelMySignUp(c echo.Context) error {
	su, err := s.mySignUpOfKind(c, c.Param("id"), "")
	if err != nil {
		return err
	}
	e, err := s.store.Event(c.Request().Context(), su.OwnerID)
	if err != nil {
		return err
	}
	if su, err = s.cancelPlaces(c, s.eventOwner(e), su, e.CanCancel(s.now())); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.mySignUpOf(e, su))
}
