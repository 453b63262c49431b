package server

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"kehou/models"
	"kehou/store"
)

// Parents sign their children up for open-day sessions (mp_events.go) and enrol them in
// summer-care periods (mp_care.go) through the same places mechanism; the steps both take are
// here: find the caller's children an owner reaches, join a pool, cancel, list what the family
// holds.

// reachedChildren is the caller's children that reaches admits. An owner still in draft, or one
// that reaches none of them, is not found: parents see only what is published for them.
func (s *Server) reachedChildren(c echo.Context, status string, reaches func(models.Child) bool) ([]models.Child, error) {
	kids, err := s.myPupils(c)
	if err != nil {
		return nil, err
	}
	var reached []models.Child
	for _, k := range kids {
		if reaches(k) {
			reached = append(reached, k)
		}
	}
	if status == models.EventDraft || len(reached) == 0 {
		return nil, errNotFound
	}
	return reached, nil
}

// childAmong finds the child the form names among those the owner reaches, or says why not.
func childAmong(kids []models.Child, id, notReached string) (models.Child, error) {
	for _, k := range kids {
		if k.ID == id {
			return k, nil
		}
	}
	return models.Child{}, models.FieldErrors{"child_id": notReached}
}

// placesMessage tells a family where its sign-up stands; confirmed is the kind's own words.
func placesMessage(status, confirmed string) string {
	switch status {
	case models.SignUpConfirmed:
		return confirmed
	case models.SignUpWaiting:
		return "名额已满，已为您排入候补。有名额空出时将按顺序自动确认并通知您。"
	case models.SignUpCancelled:
		return "报名已取消。"
	}
	return ""
}

// joinPlaces signs a child up for a pool of o and answers with the standing that is true now,
// and 201 (200 when the child was signed up already). A newcomer who had to queue runs the
// waiting list at once (all but itself are told): places may be free with others queued, after
// a cancellation a moment ago.
func (s *Server) joinPlaces(c echo.Context, o placesOwner, su models.SignUp) (models.SignUp, int, error) {
	ctx := c.Request().Context()
	su, created, err := s.store.Join(ctx, su)
	if err != nil {
		return su, 0, err
	}
	if !created {
		return su, http.StatusOK, nil
	}
	if su.Status == models.SignUpWaiting {
		if err := s.promote(c, o, su.PoolID, su.ID); err != nil && !errors.Is(err, store.ErrPoolChanged) {
			return su, 0, err
		}
		if su, err = s.store.Status(ctx, su); err != nil {
			return su, 0, err
		}
	}
	return su, http.StatusCreated, nil
}

// mySignUpOfKind reads a sign-up of the kind ("" for open days) of one of the caller's
// children: another parent of the same child may act on it too.
func (s *Server) mySignUpOfKind(c echo.Context, id, kind string) (models.SignUp, error) {
	su, err := s.store.SignUp(c.Request().Context(), id)
	if err != nil {
		return su, err
	}
	if su.Kind != kind {
		return models.SignUp{}, errNotFound
	}
	if su.MemberID == memberOf(c).ID {
		return su, nil
	}
	kids, err := s.myPupils(c)
	if err != nil {
		return su, err
	}
	for _, k := range kids {
		if k.ID == su.ChildID {
			return su, nil
		}
	}
	return models.SignUp{}, errNotFound
}

// cancelPlaces cancels a sign-up of the caller's family unless closed says why it is too late
// (a cancelled one is answered as it is), and gives its places to o's waiting list at once.
func (s *Server) cancelPlaces(c echo.Context, o placesOwner, su models.SignUp, closed string) (models.SignUp, error) {
	if closed != "" && su.Status != models.SignUpCancelled {
		return su, newAPIError(http.StatusConflict, "cancel_closed", closed)
	}
	su, _, err := s.store.CancelSignUp(c.Request().Context(), su.ID)
	if err != nil {
		return su, err
	}
	if err := s.promote(c, o, su.PoolID, ""); err != nil && !errors.Is(err, store.ErrPoolChanged) {
		return su, err
	}
	return su, nil
}

// mySignUpsAs lists the caller's sign-ups of a kind as the family sees them, reading each
// owner (an event, a programme) once.
func mySignUpsAs[O, V any](c echo.Context, s *Server, kind string, ownerOf func(models.SignUp) string,
	load func(context.Context, string) (O, error), view func(O, models.SignUp) V) error {
	ctx := c.Request().Context()
	list, err := s.store.SignUpsOfMember(ctx, memberOf(c).ID, kind)
	if err != nil {
		return err
	}
	owners := map[string]O{}
	out := make([]V, 0, len(list))
	for _, su := range list {
		o, ok := owners[ownerOf(su)]
		if !ok {
			if o, err = load(ctx, ownerOf(su)); err != nil {
				return err
			}
			owners[ownerOf(su)] = o
		}
		out = append(out, view(o, su))
	}
	return c.JSON(http.StatusOK, listBody[V]{Items: out})
}
