package server

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/labstack/echo/v4"

	"kehou/jobs"
	"kehou/models"
	"kehou/store"
)

type noticeForm struct {
	Kind           string          `json:"kind"`
	Title          string          `json:"title"`
	Body           string          `json:"body"`
	Link           string          `json:"link"`
	Audience       models.Audience `json:"audience"`
	Channels       []string        `json:"channels"`
	Robots         []string        `json:"robots"`
	SendAt         *time.Time      `json:"send_at,omitzero"`
	Urgent         bool            `json:"urgent"`
	RequireConfirm bool            `json:"require_confirm"`
}

func (f *noticeForm) validate() error { return nil } // checked on the notice, with the channels known

func (f *noticeForm) notice() models.Notice {
	n := models.Notice{Kind: f.Kind, Title: strings.TrimSpace(f.Title), Body: strings.TrimSpace(f.Body), Link: f.Link,
		Audience: f.Audience, Channels: f.Channels, Robots: f.Robots, Urgent: f.Urgent, RequireConfirm: f.RequireConfirm}
	if n.Kind == "" {
		n.Kind = models.NoticeGeneral
	}
	if n.Channels == nil {
		n.Channels = []string{}
	}
	if f.SendAt != nil {
		n.SendAt = f.SendAt.UTC()
	}
	return n
}

// createNotice composes a broadcast. The notice is in MongoDB before the answer; its fan-out
// task is enqueued for the send time, and should Redis lose it, the reconciler enqueues it again.
func (s *Server) createNotice(c echo.Context) error {
	var f noticeForm
	if err := bind(c, &f); err != nil {
		return err
	}
	n := f.notice()
	if err := n.Validate(s.channels...); err != nil {
		return err
	}
	if f.SendAt != nil && f.SendAt.After(s.now().AddDate(0, 3, 0)) {
		return models.FieldErrors{"send_at": "定时发送不能超过三个月"}
	}
	ctx := c.Request().Context()
	if err := s.placeNotice(ctx, staffOf(c), &n); err != nil {
		return err
	}
	if err := s.store.CreateNotice(ctx, &n); err != nil {
		return err
	}
	s.audit(c, "notice.create", n.ID, n.CountyID, n.SchoolID, n.Title)
	s.enqueueFanout(c, n)
	return c.JSON(http.StatusCreated, n)
}

func (s *Server) enqueueFanout(c echo.Context, n models.Notice) {
	task, opts := jobs.NewNoticeFanoutTask(n, "")
	if _, err := s.queue.EnqueueContext(c.Request().Context(), task, opts...); err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		// Not lost: the notice is stored and the reconciler enqueues stalled notices.
		s.log.Warn("enqueue notice fan-out failed; the reconciler will retry", "request_id", requestID(c), "notice", n.ID, "err", err)
	}
}

// placeNotice sets the sender from the author's scope and refuses an audience outside it
// (as not found: another school's classes do not exist for a school admin).
func (s *Server) placeNotice(ctx context.Context, st models.Staff, n *models.Notice) error {
	scope := st.Scope()
	n.AuthorID, n.CountyID, n.SchoolID = st.ID, scope.CountyID, scope.SchoolID
	switch scope.Role {
	case models.RoleCity:
		n.Sender = "市教育局"
	case models.RoleCounty:
		county, err := s.store.County(ctx, scope.CountyID)
		if err != nil {
			return err
		}
		n.Sender = county.Name + "教育局"
	case models.RoleSchool:
		school, err := s.store.School(ctx, scope.SchoolID)
		if err != nil {
			return err
		}
		n.Sender = school.Name
	}
	a := n.Audience
	schools := append([]string{}, a.SchoolIDs...)
	for _, cl := range a.Classes {
		schools = append(schools, cl.SchoolID)
	}
	for _, id := range schools {
		if _, err := s.store.SchoolInScope(ctx, scope, id); errors.Is(err, store.ErrNotFound) {
			return models.FieldErrors{"audience": "范围内没有该学校"}
		} else if err != nil {
			return err
		}
	}
	for _, id := range n.Robots {
		if _, err := s.store.RobotInScope(ctx, scope, id); errors.Is(err, store.ErrNotFound) {
			return models.FieldErrors{"robots": "范围内没有该群机器人"}
		} else if err != nil {
			return err
		}
	}
	if a.Kind == models.AudienceVolunteers {
		if _, err := s.store.ProgrammeInScope(ctx, scope, a.ProgrammeID); errors.Is(err, store.ErrNotFound) {
			return models.FieldErrors{"audience.programme_id": "范围内没有该托管项目"}
		} else if err != nil {
			return err
		}
	}
	for _, id := range a.ChildIDs {
		ch, err := s.store.Child(ctx, id)
		if errors.Is(err, store.ErrNotFound) || (err == nil && !scope.AllowsSchool(ch.SchoolID, ch.CountyID)) {
			return models.FieldErrors{"audience.child_ids": "范围内没有该学生"}
		} else if err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) listNotices(c echo.Context) error {
	p, err := pageParams(c)
	if err != nil {
		return err
	}
	list, next, err := s.store.Notices(c.Request().Context(), scopeOf(c), p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listBody[models.Notice]{list, next})
}

type noticeDetail struct {
	models.Notice
	Report store.NoticeReport `json:"report"`
}

// getNotice answers the notice with its report: targeted, per channel and status, reasons of
// failures, read and confirmed.
func (s *Server) getNotice(c echo.Context) error {
	ctx := c.Request().Context()
	n, err := s.store.NoticeInScope(ctx, scopeOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	r, err := s.store.Report(ctx, n.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, noticeDetail{n, r})
}

func (s *Server) cancelNotice(c echo.Context) error {
	ctx := c.Request().Context()
	n, err := s.store.NoticeInScope(ctx, scopeOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	ok, err := s.store.CancelNotice(ctx, n.ID)
	if err != nil {
		return err
	}
	if !ok {
		return newAPIError(http.StatusConflict, "notice_not_cancellable", "通知已开始发送，无法取消")
	}
	s.audit(c, "notice.cancel", n.ID, n.CountyID, n.SchoolID, "")
	n.Status = models.NoticeCancelled
	return c.JSON(http.StatusOK, n)
}

type remindForm struct {
	Unconfirmed bool     `json:"unconfirmed"`
	Channels    []string `json:"channels"`
}

func (f *remindForm) validate() error { return nil }

// remindNotice sends a reminder to the recipients who have not read (or confirmed) a notice.
func (s *Server) remindNotice(c echo.Context) error {
	ctx := c.Request().Context()
	orig, err := s.store.NoticeInScope(ctx, scopeOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	var f remindForm
	if err := bind(c, &f); err != nil {
		return err
	}
	if f.Unconfirmed && !orig.RequireConfirm {
		return models.FieldErrors{"unconfirmed": "该通知不需要回执"}
	}
	if f.Channels == nil {
		f.Channels = orig.Channels
	}
	n := models.Notice{Kind: orig.Kind, Title: "提醒：" + orig.Title, Body: orig.Body, Link: orig.Link,
		Audience: models.Audience{Kind: models.AudienceRemind, NoticeID: orig.ID, Unconfirmed: f.Unconfirmed},
		Channels: f.Channels, RequireConfirm: orig.RequireConfirm,
		// A reminder of an urgent notice is as urgent: it does not wait out the quiet hours.
		Urgent: orig.Urgent}
	if len([]rune(n.Title)) > models.MaxNoticeTitle {
		n.Title = string([]rune(n.Title)[:models.MaxNoticeTitle])
	}
	// The remind audience is the system's (staff cannot name it in a notice of their own), so
	// the rest of the reminder is checked as a notice to the sender's scope would be.
	check := n
	check.Audience = models.Audience{Kind: models.AudienceScope}
	if err := check.Validate(s.channels...); err != nil {
		return err
	}
	st := staffOf(c)
	n.AuthorID, n.CountyID, n.SchoolID, n.Sender = st.ID, orig.CountyID, orig.SchoolID, orig.Sender
	if err := s.store.CreateNotice(ctx, &n); err != nil {
		return err
	}
	s.audit(c, "notice.remind", n.ID, n.CountyID, n.SchoolID, "of "+orig.ID)
	s.enqueueFanout(c, n)
	return c.JSON(http.StatusCreated, n)
}

// recipientDelivery is a delivery as the report lists it: with the recipient's number, masked,
// when they authorised one, so that staff can tell families apart without seeing the number.
type recipientDelivery struct {
	models.Delivery
	Phone       string    `json:"phone,omitempty"` // 138****5678
	ReadAt      time.Time `json:"read_at,omitzero"`
	ConfirmedAt time.Time `json:"confirmed_at,omitzero"`
}

// noticeDeliveries lists a notice's deliveries, a page at a time; ?phone= (a full number)
// finds one family's deliveries instead.
func (s *Server) noticeDeliveries(c echo.Context) error {
	ctx := c.Request().Context()
	n, err := s.store.NoticeInScope(ctx, scopeOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	p, err := pageParams(c)
	if err != nil {
		return err
	}
	status := c.QueryParam("status")
	if status != "" && !slices.Contains(models.DeliveryStatuses, status) {
		return models.FieldErrors{"status": "状态只能是 queued（排队中）、sent（已发送）、failed（失败）、skipped（跳过）或 unknown（未知）"}
	}
	var list []models.Delivery
	next := ""
	if q := c.QueryParam("phone"); q != "" {
		phone, ok := mobileNumber(q)
		if !ok {
			return models.FieldErrors{"phone": "请输入完整的11位手机号"}
		}
		members, err := s.store.MemberIDsByPhone(ctx, phone)
		if err != nil {
			return err
		}
		if list, err = s.store.DeliveriesToMembers(ctx, n.ID, members, status); err != nil {
			return err
		}
	} else if list, next, err = s.store.DeliveriesOfNotice(ctx, n.ID, status, p); err != nil {
		return err
	}
	out, err := s.withPhones(ctx, list)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listBody[recipientDelivery]{out, next})
}

// mobileNumber reads a mainland mobile number as typed ("138 1234 5678", "+86…") into E.164.
func mobileNumber(q string) (string, bool) {
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		if r == ' ' || r == '-' || r == '+' {
			return -1
		}
		return 'x'
	}, q)
	digits = strings.TrimPrefix(digits, "86")
	if len(digits) != 11 || digits[0] != '1' || strings.Contains(digits, "x") {
		return "", false
	}
	return "+86" + digits, true
}

// withPhones adds each recipient's masked number and when they read and confirmed the notice
// to a page of deliveries (one read of the page's members, one point read per receipt).
func (s *Server) withPhones(ctx context.Context, list []models.Delivery) ([]recipientDelivery, error) {
	ids := []string{}
	for _, d := range list {
		if !strings.HasPrefix(d.MemberID, "robot:") && !slices.Contains(ids, d.MemberID) {
			ids = append(ids, d.MemberID)
		}
	}
	members, err := s.store.MembersByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	masked := map[string]string{}
	for id, m := range members {
		phone, err := s.store.Phone(m)
		if err != nil {
			return nil, err
		}
		if phone != "" {
			masked[id] = store.MaskPhone(phone)
		}
	}
	receipts := map[string]models.Receipt{}
	for _, id := range ids {
		if len(list) == 0 {
			break
		}
		rc, err := s.store.Receipt(ctx, list[0].NoticeID, id)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		receipts[id] = rc
	}
	out := make([]recipientDelivery, len(list))
	for i, d := range list {
		rc := receipts[d.MemberID]
		out[i] = recipientDelivery{d, masked[d.MemberID], rc.ReadAt, rc.ConfirmedAt}
	}
	return out, nil
}

// noticeOutbox shows what the sandbox "sent" for a notice (numbers masked).
func (s *Server) noticeOutbox(c echo.Context) error {
	ctx := c.Request().Context()
	n, err := s.store.NoticeInScope(ctx, scopeOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	p, err := pageParams(c)
	if err != nil {
		return err
	}
	list, next, err := s.store.Outbox(ctx, n.ID, p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listBody[store.OutboxMessage]{list, next})
}
