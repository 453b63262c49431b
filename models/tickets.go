package models

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// TicketRow is one good line of a 12345 hotline export.
type TicketRow struct {
	Line       int
	Ref        string
	ReceivedOn time.Time
	School     string // the school's name as the hotline wrote it ("" when none)
	Category   string
	Text       string
}

var ticketColumns = map[string]string{
	"工单编号": "ref", "工单号": "ref", "ticket": "ref",
	"受理日期": "date", "受理时间": "date", "日期": "date", "date": "date",
	"学校": "school", "涉及学校": "school", "school": "school",
	"类别": "category", "问题类别": "category", "category": "category",
	"诉求内容": "text", "内容": "text", "text": "text",
}

// ErrTicketHeader means the export has no recognisable header.
var ErrTicketHeader = errors.New("tickets: the first row must name the columns 工单编号, 受理日期, 学校, 类别, 诉求内容")

// ParseTickets reads the rows of a 12345 export (header first). It returns the good rows and
// every bad line (line numbers count the header as line 1); repeated ticket numbers within the
// file are bad lines too.
func ParseTickets(rows [][]string) ([]TicketRow, []LineError, error) {
	if len(rows) == 0 {
		return nil, nil, ErrTicketHeader
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		if name, ok := ticketColumns[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))]; ok {
			col[name] = i
		}
	}
	for _, need := range []string{"ref", "date", "text"} {
		if _, ok := col[need]; !ok {
			return nil, nil, ErrTicketHeader
		}
	}
	categories := map[string]string{}
	for code, name := range ComplaintCategoryNames {
		categories[code], categories[name] = code, code
	}
	var out []TicketRow
	var errs []LineError
	seen := map[string]int{}
	for i, rec := range rows[1:] {
		line := i + 2
		cell := func(name string) string {
			if j, ok := col[name]; ok && j < len(rec) {
				return strings.TrimSpace(rec[j])
			}
			return ""
		}
		if strings.Join(rec, "") == "" {
			continue
		}
		bad := func(field, msg string) { errs = append(errs, LineError{Line: line, Field: field, Message: msg}) }
		r := TicketRow{Line: line, Ref: cell("ref"), School: cell("school"), Text: cell("text")}
		date := strings.NewReplacer("/", "-", ".", "-").Replace(cell("date"))
		if len(date) > 10 {
			date = date[:10] // "2026-11-20 09:31" keeps the day
		}
		var ok bool
		switch {
		case r.Ref == "" || len(r.Ref) > 40:
			bad("工单编号", "工单编号应为1–40个字符")
		case seen[r.Ref] != 0:
			bad("工单编号", fmt.Sprintf("工单编号与第%d行重复", seen[r.Ref]))
		case r.Text == "":
			bad("诉求内容", MsgRequired)
		default:
			if r.ReceivedOn, ok = ParseDay(date); !ok {
				bad("受理日期", "应为日期，如 2026-11-20")
				continue
			}
			fe := FieldErrors{}
			if fe.CheckDate("received_on", r.ReceivedOn); len(fe) > 0 {
				bad("受理日期", fe["received_on"])
				continue
			}
			r.Category = categories[cell("category")]
			if r.Category == "" {
				r.Category = "other"
			}
			seen[r.Ref] = line
			out = append(out, r)
		}
	}
	return out, errs, nil
}
