package server

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"kehou/models"
	"kehou/store"
)

type bindForm struct {
	SchoolID  string `json:"school_id"`
	StudentNo string `json:"student_no"`
	Name      string `json:"name"`
	BindCode  string `json:"bind_code"`
	Relation  string `json:"relation"`
}

func (f *bindForm) validate() error {
	fe := models.FieldErrors{}
	fe.CheckText("school_id", f.SchoolID, 64)
	fe.CheckText("student_no", f.StudentNo, 32)
	fe.CheckText("name", f.Name, 20)
	fe.CheckOptionalText("bind_code", f.BindCode, 16)
	if f.Relation != "" {
		fe.CheckEnum("relation", f.Relation, models.RelationEnum)
	}
	return fe.Err()
}

// myChild is a bound child as its parent sees it: the name stays masked even here, because
// the mini-program screen does not need more and screenshots travel.
type myChild struct {
	ID         string    `json:"id"` // the binding, used to unbind
	ChildID    string    `json:"child_id"`
	Name       string    `json:"name"`
	SchoolID   string    `json:"school_id"`
	SchoolName string    `json:"school_name"`
	Grade      int       `json:"grade"`
	Class      string    `json:"class"`
	Relation   string    `json:"relation,omitempty"`
	BoundAt    time.Time `json:"bound_at,omitzero"`
}

// bindChild makes the caller a guardian of a roster child, matched by school, student number
// and name (and the binding code where the school requires one).
func (s *Server) bindChild(c echo.Context) error {
	var f bindForm
	if err := bind(c, &f); err != nil {
		return err
	}
	ctx := c.Request().Context()
	g, ch, err := s.store.Bind(ctx, store.BindRequest{MemberID: memberOf(c).ID, SchoolID: f.SchoolID,
		StudentNo: f.StudentNo, Name: f.Name, BindCode: f.BindCode, Relation: f.Relation})
	if err != nil {
		return err
	}
	s.forgetPupils(ctx, memberOf(c).ID)
	sc, err := s.store.School(ctx, ch.SchoolID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toMyChild(g, ch, sc))
}

func toMyChild(g models.Guardianship, ch models.Child, sc models.School) myChild {
	return myChild{ID: g.ID, ChildID: ch.ID, Name: ch.NameMasked, SchoolID: sc.ID, SchoolName: sc.Name,
		Grade: ch.Grade, Class: ch.Class, Relation: g.Relation, BoundAt: g.CreatedAt}
}

func (s *Server) myChildren(c echo.Context) error {
	ctx := c.Request().Context()
	gs, err := s.store.GuardianshipsOfMember(ctx, memberOf(c).ID)
	if err != nil {
		return err
	}
	out := make([]myChild, 0, len(gs))
	for _, g := range gs {
		ch, err := s.store.Child(ctx, g.ChildID)
		if errors.Is(err, store.ErrNotFound) {
			continue // removed from the roster
		}
		if err != nil {
			return err
		}
		sc, err := s.store.School(ctx, ch.SchoolID)
		if err != nil {
			return err
		}
		out = append(out, toMyChild(g, ch, sc))
	}
	return c.JSON(http.StatusOK, listBody[myChild]{Items: out})
}

func (s *Server) unbindChild(c echo.Context) error {
	defer s.forgetPupils(c.Request().Context(), memberOf(c).ID)
	if err := s.store.DeleteGuardianship(c.Request().Context(), c.Param("id"), memberOf(c).ID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// schoolBinding is a binding as school staff see it: who is bound to which pupil, masked.
type schoolBinding struct {
	ID        string    `json:"id"`
	ChildID   string    `json:"child_id"`
	StudentNo string    `json:"student_no"`
	ChildName string    `json:"child_name"`
	Grade     int       `json:"grade"`
	Class     string    `json:"class"`
	MemberID  string    `json:"member_id"`
	Relation  string    `json:"relation,omitempty"`
	BoundAt   time.Time `json:"bound_at,omitzero"`
}

func (s *Server) listBindings(c echo.Context) error {
	ctx := c.Request().Context()
	sc, err := s.store.SchoolInScope(ctx, scopeOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	p, err := pageParams(c)
	if err != nil {
		return err
	}
	gs, next, err := s.store.GuardianshipsOfSchool(ctx, sc.ID, p)
	if err != nil {
		return err
	}
	out := make([]schoolBinding, 0, len(gs))
	for _, g := range gs {
		b := schoolBinding{ID: g.ID, ChildID: g.ChildID, MemberID: g.MemberID, Relation: g.Relation, BoundAt: g.CreatedAt}
		if ch, err := s.store.Child(ctx, g.ChildID); err == nil {
			b.StudentNo, b.ChildName, b.Grade, b.Class = ch.StudentNo, ch.NameMasked, ch.Grade, ch.Class
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		out = append(out, b)
	}
	return c.JSON(http.StatusOK, listBody[schoolBinding]{out, next})
}

// removeBinding lets staff undo a wrong binding of a pupil in their scope.
func (s *Server) removeBinding(c echo.Context) error {
	ctx := c.Request().Context()
	g, err := s.store.Guardianship(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	if !scopeOf(c).AllowsSchool(g.SchoolID, g.CountyID) {
		return errNotFound
	}
	if err := s.store.DeleteGuardianship(ctx, g.ID, ""); err != nil {
		return err
	}
	s.forgetPupils(ctx, g.MemberID)
	s.audit(c, "guardian.remove", g.ID, g.CountyID, g.SchoolID, "child="+g.ChildID)
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) listAudit(c echo.Context) error {
	p, err := pageParams(c)
	if err != nil {
		return err
	}
	list, next, err := s.store.Audit(c.Request().Context(), scopeOf(c), p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listBody[models.AuditEntry]{list, next})
}
