package server

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// inboxItem is a notice as a parent sees it.
type inboxItem struct {
	ID             string    `json:"id"`
	Kind           string    `json:"kind"`
	Title          string    `json:"title"`
	Body           string    `json:"body"`
	Link           string    `json:"link,omitempty"`
	Sender         string    `json:"sender"`
	SentAt         time.Time `json:"sent_at,omitzero"`
	RequireConfirm bool      `json:"require_confirm"`
	ReadAt         time.Time `json:"read_at,omitzero"`
	ConfirmedAt    time.Time `json:"confirmed_at,omitzero"`
}

func (s *Server) inbox(c echo.Context) error {
	p, err := pageParams(c)
	if err != nil {
		return err
	}
	items, next, err := s.store.Inbox(c.Request().Context(), memberOf(c).ID, p)
	if err != nil {
		return err
	}
	out := make([]inboxItem, 0, len(items))
	for _, it := range items {
		n, r := it.Notice, it.Receipt
		out = append(out, inboxItem{ID: n.ID, Kind: n.Kind, Title: n.Title, Body: n.Body, Link: n.Link, Sender: n.Sender,
			SentAt: n.SendAt, RequireConfirm: n.RequireConfirm, ReadAt: r.ReadAt, ConfirmedAt: r.ConfirmedAt})
	}
	return c.JSON(http.StatusOK, listBody[inboxItem]{out, next})
}

// inboxNotice opens one notice of the caller's inbox (a notice not sent to them is 404).
func (s *Server) inboxNotice(c echo.Context) error {
	return s.markNotice(c, false, false)
}

func (s *Server) readNotice(c echo.Context) error    { return s.markNotice(c, true, false) }
func (s *Server) confirmNotice(c echo.Context) error { return s.markNotice(c, true, true) }

func (s *Server) markNotice(c echo.Context, read, confirm bool) error {
	ctx := c.Request().Context()
	id, member := c.Param("id"), memberOf(c).ID
	r, err := s.store.Receipt(ctx, id, member)
	if err != nil {
		return err
	}
	n, err := s.store.Notice(ctx, id)
	if err != nil {
		return err
	}
	if n.SendAt.After(s.now()) {
		return errNotFound
	}
	if confirm && !n.RequireConfirm {
		return newAPIError(http.StatusConflict, "confirm_not_required", "该通知无需回执")
	}
	if read {
		if r, err = s.store.MarkReceipt(ctx, id, member, confirm); err != nil {
			return err
		}
	}
	return c.JSON(http.StatusOK, inboxItem{ID: n.ID, Kind: n.Kind, Title: n.Title, Body: n.Body, Link: n.Link, Sender: n.Sender,
		SentAt: n.SendAt, RequireConfirm: n.RequireConfirm, ReadAt: r.ReadAt, ConfirmedAt: r.ConfirmedAt})
}
