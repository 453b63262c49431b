package server

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"kehou/models"
	"kehou/store"
)

// Open days (events and their sessions) and summer care (programmes and their periods) both own
// places, kept by the one places mechanism in store/places.go, and staff do the same things to
// either: publish, cancel the whole or one pool, change a pool's capacity, run a waiting list.
// events.go and programmes.go load their resource within the caller's scope, describe it with
// a placesOwner, and leave those steps to the helpers here.

// placesOwner is an event or a programme as the shared places steps see it.
type placesOwner struct {
	kind     string // in audit actions: "event", "programme"
	poolKind string // what a pool is called in audit actions: "session", "period"
	id       string
	title    string
	countyID string
	schoolID string
	pools    []placesPool // in the owner's order
	// setStatus and setNotice are the store's writes for this kind of owner.
	setStatus func(ctx context.Context, id, to string, from ...string) error
	setNotice func(ctx context.Context, id, noticeID string) error
	// signUpOwner is the owner id a pool's sign-ups carry (an event's sessions share the
	// event's, so a child signs up once per event; a period is its own, one enrolment per period).
	signUpOwner func(poolID string) string
	// cancelled tells the children of a closed pool; promoted tells the families who got places.
	cancelled func(children []string, title, body string) models.Notice
	promoted  func(poolID string, got []models.SignUp) models.Notice
}

// placesPool is one pool of an owner: a session or a period.
type placesPool struct{ id, label string }

// pool finds one of the owner's pools (the route's), or errNotFound.
func (o placesOwner) pool(id string) (placesPool, error) {
	for _, p := range o.pools {
		if p.id == id {
			return p, nil
		}
	}
	return placesPool{}, errNotFound
}

func (o placesOwner) audit(s *Server, c echo.Context, action, detail string) {
	s.audit(c, o.kind+"."+action, o.id, o.countyID, o.schoolID, detail)
}

// eventPublishForm publishes an event, a programme or a selection.
type eventPublishForm struct {
	Channels []string `json:"channels"` // announce it to the audience on these channels
}

func (f *eventPublishForm) validate() error { return nil }

// publishPlaces opens sign-up (before closes, named closesField in errors); when the form names
// channels it sends the announcement notice makes of them and links it to the owner. It returns
// the notice, with an id when it was sent.
func (s *Server) publishPlaces(c echo.Context, o placesOwner, closes time.Time, closesField string, notice func(channels []string) models.Notice) (models.Notice, error) {
	var f eventPublishForm
	if err := bind(c, &f); err != nil {
		return models.Notice{}, err
	}
	n := notice(f.Channels)
	if n.Channels == nil {
		n.Channels = []string{}
	}
	if err := n.Validate(s.channels...); err != nil {
		return n, err
	}
	if !closes.After(s.now()) {
		return n, models.FieldErrors{closesField: "报名截止时间已过"}
	}
	ctx := c.Request().Context()
	if err := o.setStatus(ctx, o.id, models.EventPublished, models.EventDraft); err != nil {
		return n, err
	}
	o.audit(s, c, "publish", o.title)
	if len(f.Channels) > 0 {
		if err := s.store.CreateNotice(ctx, &n); err != nil { // not sendNotice: the id is kept
			return n, err
		}
		s.enqueueFanout(c, n)
		if err := o.setNotice(ctx, o.id, n.ID); err != nil {
			return n, err
		}
	}
	return n, nil
}

// cancelAllPlaces cancels the whole owner: every pool closes and its families are told.
func (s *Server) cancelAllPlaces(c echo.Context, o placesOwner) error {
	if err := o.setStatus(c.Request().Context(), o.id, models.EventCancelled, models.EventPublished, models.EventDraft); err != nil {
		return err
	}
	o.audit(s, c, "cancel", o.title)
	for _, p := range o.pools {
		if err := s.closePool(c, o, p.id, "“"+o.title+"”已取消"); err != nil {
			return err
		}
	}
	return nil
}

// cancelOnePool cancels one pool of the owner; its families are told.
func (s *Server) cancelOnePool(c echo.Context, o placesOwner, poolID string) error {
	p, err := o.pool(poolID)
	if err != nil {
		return err
	}
	o.audit(s, c, o.poolKind+".cancel", p.label)
	return s.closePool(c, o, p.id, "“"+o.title+"”"+p.label+"已取消")
}

// closePool closes a pool's places and tells the families with a confirmed or waiting sign-up
// in it. The sign-ups stay, for the record.
func (s *Server) closePool(c echo.Context, o placesOwner, poolID, title string) error {
	ctx := c.Request().Context()
	if err := s.store.ClosePool(ctx, poolID); err != nil {
		return err
	}
	children, err := s.activeChildren(ctx, o.signUpOwner(poolID), poolID)
	if err != nil || len(children) == 0 {
		return err
	}
	return s.sendNotice(c, o.cancelled(children, title, title+"，给您带来不便，敬请谅解。如有疑问请联系学校。"))
}

// activeChildren lists the children with a confirmed or waiting sign-up in a pool of an owner.
func (s *Server) activeChildren(ctx context.Context, ownerID, poolID string) ([]string, error) {
	var children []string
	err := s.eachSignUp(ctx, ownerID, poolID, func(su models.SignUp) {
		if su.Status != models.SignUpCancelled {
			children = append(children, su.ChildID)
		}
	})
	return children, err
}

// eachSignUp calls fn with every sign-up of a pool of an owner, a page at a time.
func (s *Server) eachSignUp(ctx context.Context, ownerID, poolID string, fn func(models.SignUp)) error {
	p := store.Page{Limit: store.MaxPageSize}
	for {
		list, next, err := s.store.SignUpsOf(ctx, ownerID, poolID, "", p)
		if err != nil {
			return err
		}
		for _, su := range list {
			fn(su)
		}
		if next == "" {
			return nil
		}
		p.Cursor = next
	}
}

func (s *Server) sendNotice(c echo.Context, n models.Notice) error {
	if err := s.store.CreateNotice(c.Request().Context(), &n); err != nil {
		return err
	}
	s.enqueueFanout(c, n)
	return nil
}

type capacityForm struct {
	Capacity int `json:"capacity"`
}

func (f *capacityForm) validate() error {
	if f.Capacity < 0 || f.Capacity > models.MaxCapacity {
		return models.FieldErrors{"capacity": "名额应为0–5000"}
	}
	return nil
}

// setPoolCapacity raises or lowers a pool's places (never below those confirmed); raising them
// promotes families from the waiting list, who are told.
func (s *Server) setPoolCapacity(c echo.Context, o placesOwner, poolID string) error {
	p, err := o.pool(poolID)
	if err != nil {
		return err
	}
	var f capacityForm
	if err := bind(c, &f); err != nil {
		return err
	}
	if _, err := s.store.SetCapacity(c.Request().Context(), p.id, f.Capacity); err != nil {
		return err
	}
	o.audit(s, c, "capacity", p.label)
	return s.promote(c, o, p.id, "")
}

// promote runs a pool's waiting list and tells the families who got a place by the owner's
// notice, all but the sign-up except (the family asking, who learns it from the answer). They
// are told even when the pool kept changing (ErrPoolChanged, returned after).
func (s *Server) promote(c echo.Context, o placesOwner, poolID, except string) error {
	got, err := s.store.Promote(c.Request().Context(), poolID)
	if err != nil && !errors.Is(err, store.ErrPoolChanged) {
		return err
	}
	var others []models.SignUp
	for _, su := range got {
		if su.ID != except {
			others = append(others, su)
		}
	}
	if len(others) > 0 {
		if err := s.sendNotice(c, o.promoted(poolID, others)); err != nil {
			return err
		}
	}
	return err
}

// patchText sets each text field that was sent, trimmed; patchTimes each time, in UTC. Fields
// left out of a PATCH keep their values.
func patchText(fields map[*string]*string) {
	for dst, v := range fields {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
}

func patchTimes(fields map[*time.Time]*time.Time) {
	for dst, v := range fields {
		if v != nil {
			*dst = v.UTC()
		}
	}
}
