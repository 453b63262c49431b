package server

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"kehou/models"
	"kehou/store"
)

type mpComplaintForm struct {
	SchoolID  string `json:"school_id"`
	Category  string `json:"category"`
	Text      string `json:"text"`
	Anonymous bool   `json:"anonymous"`
}

func (f *mpComplaintForm) validate() error { return nil } // checked on the complaint

// submitComplaint takes a parent's complaint or suggestion about a school. Anonymous ones do
// not show who sent them to anyone; the parent is still told of progress.
func (s *Server) submitComplaint(c echo.Context) error {
	var f mpComplaintForm
	if err := bind(c, &f); err != nil {
		return err
	}
	cp := models.Complaint{Source: models.SourceMiniProgram, Category: f.Category, Text: strings.TrimSpace(f.Text), Anonymous: f.Anonymous,
		MemberID: memberOf(c).ID, ReceivedOn: models.DayOf(s.now())}
	fe := models.FieldErrors{}
	if err := cp.Validate(); err != nil {
		fe = err.(models.FieldErrors)
	}
	ctx := c.Request().Context()
	sc, err := s.store.School(ctx, f.SchoolID)
	if errors.Is(err, store.ErrNotFound) || f.SchoolID == "" {
		fe.Add("school_id", "请选择学校")
	} else if err != nil {
		return err
	}
	if err := fe.Err(); err != nil {
		return err
	}
	cp.SchoolID, cp.CountyID = sc.ID, sc.CountyID
	if err := s.store.CreateComplaint(ctx, &cp, "parent"); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, myComplaintOf(cp))
}

// myComplaint is a complaint as its parent sees it: what happened, not who did it.
type myComplaint struct {
	ID         string                 `json:"id"`
	SchoolID   string                 `json:"school_id"`
	Category   string                 `json:"category"`
	Text       string                 `json:"text"`
	Status     string                 `json:"status"`
	StatusName string                 `json:"status_name"`
	Outcome    string                 `json:"outcome,omitempty"`
	Steps      []models.ComplaintStep `json:"steps"`
	Rating     int                    `json:"rating,omitempty"`
	CanRate    bool                   `json:"can_rate"`
}

func myComplaintOf(cp models.Complaint) myComplaint {
	steps := make([]models.ComplaintStep, len(cp.Steps))
	for i, st := range cp.Steps {
		steps[i] = models.ComplaintStep{At: st.At, Status: st.Status} // staff ids and internal notes stay inside
	}
	return myComplaint{ID: cp.ID, SchoolID: cp.SchoolID, Category: cp.Category, Text: cp.Text, Status: cp.Status,
		StatusName: models.ComplaintStatusNames[cp.Status], Outcome: cp.Outcome, Steps: steps, Rating: cp.Rating,
		CanRate: cp.Rating == 0 && slices.Contains([]string{models.ComplaintClosed, models.ComplaintDismissed}, cp.Status)}
}

func (s *Server) myComplaints(c echo.Context) error {
	list, err := s.store.ComplaintsOfMember(c.Request().Context(), memberOf(c).ID)
	if err != nil {
		return err
	}
	out := make([]myComplaint, len(list))
	for i, cp := range list {
		out[i] = myComplaintOf(cp)
	}
	return c.JSON(http.StatusOK, listBody[myComplaint]{Items: out})
}

type ratingForm struct {
	Rating int    `json:"rating"`
	Note   string `json:"note"`
}

func (f *ratingForm) validate() error {
	fe := models.FieldErrors{}
	if !models.ValidRating(f.Rating) {
		fe.Add("rating", "评价应为1–5")
	}
	fe.CheckOptionalText("note", f.Note, 200)
	return fe.Err()
}

// rateComplaint records the parent's rating of a finished complaint's handling, once.
func (s *Server) rateComplaint(c echo.Context) error {
	var f ratingForm
	if err := bind(c, &f); err != nil {
		return err
	}
	ctx := c.Request().Context()
	cp, err := s.store.Complaint(ctx, c.Param("id"))
	if err != nil || cp.MemberID != memberOf(c).ID {
		if err == nil {
			err = errNotFound
		}
		return err
	}
	if err := s.store.RateComplaint(ctx, cp.ID, memberOf(c).ID, f.Rating, strings.TrimSpace(f.Note)); err != nil {
		if errors.Is(err, store.ErrComplaintState) {
			return newAPIError(http.StatusConflict, "complaint_state", "办结后方可评价，且只能评价一次")
		}
		return err
	}
	cp, err = s.store.Complaint(ctx, cp.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, myComplaintOf(cp))
}
