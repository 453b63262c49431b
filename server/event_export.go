package server

import (
	"strconv"

	"github.com/labstack/echo/v4"

	"kehou/models"
	"kehou/store"
)

var statusNames = map[string]string{models.SignUpConfirmed: "已确认", models.SignUpWaiting: "候补", models.SignUpCancelled: "已取消"}

// exportEvent downloads the sign-ups as XLSX: a summary sheet and one sheet per session, with
// names masked (the school has the roster; the list is for the door).
func (s *Server) exportEvent(c echo.Context) error {
	ctx := c.Request().Context()
	d, err := s.eventDetail(c)
	if err != nil {
		return err
	}
	e, counts := d.Event, d.Counts
	summary := xlsxSheet{Name: "汇总", Header: []string{"场次", "开始时间", "名额", "已占名额", "已确认", "候补", "已取消", "已签到", "未到"}}
	for _, ses := range e.Sessions {
		n := counts[ses.ID]
		summary.Rows = append(summary.Rows, []string{ses.Label, ses.StartsAt.In(models.Shanghai).Format("2006-01-02 15:04"),
			strconv.Itoa(n.Capacity), strconv.Itoa(n.PlacesHeld), strconv.Itoa(n.Confirmed), strconv.Itoa(n.Waiting),
			strconv.Itoa(n.Cancelled), strconv.Itoa(n.CheckedIn), strconv.Itoa(n.NoShows)})
	}
	sheets := []xlsxSheet{summary}
	for _, ses := range e.Sessions {
		sh := xlsxSheet{Name: ses.Label, Header: []string{"序号", "学生", "年级", "班级", "随行家长", "状态", "签到时间"}}
		p := store.Page{Limit: store.MaxPageSize}
		for {
			list, next, err := s.store.SignUpsOf(ctx, e.ID, ses.ID, "", p)
			if err != nil {
				return err
			}
			for _, su := range list {
				checked := ""
				if !su.CheckedInAt.IsZero() {
					checked = su.CheckedInAt.In(models.Shanghai).Format("2006-01-02 15:04")
				}
				sh.Rows = append(sh.Rows, []string{strconv.Itoa(len(sh.Rows) + 1), su.ChildName, strconv.Itoa(su.Grade), su.Class,
					strconv.Itoa(su.Companions), statusNames[su.Status], checked})
			}
			if next == "" {
				break
			}
			p.Cursor = next
		}
		sheets = append(sheets, sh)
	}
	s.audit(c, "event.export", e.ID, e.CountyID, e.SchoolID, "")
	return sendXLSX(c, sheets, e.Title+"-报名名单.xlsx")
}
