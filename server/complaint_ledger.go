package server

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/xuri/excelize/v2"

	"kehou/models"
)

// uploadedTable reads an uploaded CSV (UTF-8 or GB18030) or XLSX (its first sheet) into rows.
func uploadedTable(c echo.Context) ([][]string, error) {
	raw, err := rosterFile(c)
	if err != nil {
		return nil, err
	}
	if bytes.HasPrefix(raw, []byte("PK")) { // a zip: an XLSX workbook
		f, err := excelize.OpenReader(bytes.NewReader(raw))
		if err != nil {
			return nil, models.FieldErrors{"file": "文件无法读取，请上传CSV或XLSX"}
		}
		defer f.Close()
		rows, err := f.GetRows(f.GetSheetName(0))
		if err != nil {
			return nil, models.FieldErrors{"file": "工作表无法读取，请另存为CSV后上传"}
		}
		for _, row := range rows {
			for _, cell := range row {
				if models.BadText(cell) {
					return nil, models.FieldErrors{"file": models.MsgBadText}
				}
			}
		}
		return rows, nil
	}
	if raw, err = models.DecodeTextFile(raw); err != nil {
		return nil, models.FieldErrors{"file": models.MsgBadText}
	}
	r := csv.NewReader(bytes.NewReader(raw))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		return nil, models.FieldErrors{"file": "CSV文件无法解析"}
	}
	return rows, nil
}

// importResult is what an import did.
type importResult struct {
	Rows    int `json:"rows"`
	Created int `json:"created"`
	Skipped int `json:"skipped"` // tickets already in the ledger
}

// importTickets takes a 12345 hotline export (CSV or XLSX): tickets already in the ledger are
// skipped, so importing the same export twice adds nothing; any bad line rejects the file with
// every problem listed by line.
func (s *Server) importTickets(c echo.Context) error {
	if actorOf(c) != models.ActorCounty {
		return errForbidden
	}
	rows, err := uploadedTable(c)
	if err != nil {
		return err
	}
	tickets, lineErrs, err := models.ParseTickets(rows)
	if errors.Is(err, models.ErrTicketHeader) {
		return &apiError{Status: http.StatusUnprocessableEntity, Code: "bad_file", Message: "第一行须为列名：工单编号,受理日期,学校,类别,诉求内容"}
	}
	ctx := c.Request().Context()
	scope := scopeOf(c)
	schools, err := s.store.SchoolsInScope(ctx, scope)
	if err != nil {
		return err
	}
	byName := map[string]models.School{}
	for _, sc := range schools {
		byName[sc.Name] = sc
	}
	var list []models.Complaint
	for _, t := range tickets {
		cp := models.Complaint{Source: models.Source12345, SourceRef: t.Ref, ReceivedOn: models.Day{Time: t.ReceivedOn}, Category: t.Category, Text: t.Text, CountyID: scope.CountyID}
		if t.School != "" {
			sc, ok := byName[t.School]
			if !ok {
				lineErrs = append(lineErrs, models.LineError{Line: t.Line, Field: "学校", Message: "范围内没有该学校：" + t.School})
				continue
			}
			cp.SchoolID, cp.CountyID = sc.ID, sc.CountyID
		} else if cp.CountyID == "" {
			lineErrs = append(lineErrs, models.LineError{Line: t.Line, Field: "学校", Message: "市级导入须填写学校"})
			continue
		}
		list = append(list, cp)
	}
	if len(lineErrs) > 0 {
		sort.Slice(lineErrs, func(i, j int) bool { return lineErrs[i].Line < lineErrs[j].Line })
		return &apiError{Status: http.StatusUnprocessableEntity, Code: "rows_invalid",
			Message: fmt.Sprintf("有%d行错误，未导入任何数据，请修改后重新上传", len(lineErrs)), Lines: lineErrs}
	}
	created, err := s.store.ImportComplaints(ctx, list, staffOf(c).ID)
	if err != nil {
		return err
	}
	s.audit(c, "complaint.import", "12345", scope.CountyID, "", fmt.Sprintf("rows=%d created=%d", len(list), created))
	return c.JSON(http.StatusOK, importResult{Rows: len(list), Created: created, Skipped: len(list) - created})
}

// complaintStats counts the filtered ledger by month received, status, source and category.
func (s *Server) complaintStats(c echo.Context) error {
	f, err := complaintFilter(c)
	if err != nil {
		return err
	}
	list, err := s.store.AllComplaints(c.Request().Context(), scopeOf(c), f)
	if err != nil {
		return err
	}
	out := map[string]map[string]int{"by_month": {}, "by_status": {}, "by_source": {}, "by_category": {}}
	overdue := 0
	for _, cp := range list {
		out["by_month"][cp.ReceivedOn.In(models.Shanghai).Format("2006-01")]++
		out["by_status"][cp.Status]++
		out["by_source"][cp.Source]++
		out["by_category"][cp.Category]++
		if cp.Overdue(s.now()) {
			overdue++
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"total": len(list), "overdue": overdue, "counts": out})
}

// exportComplaints downloads the filtered ledger in the ledger layout the bureau files.
func (s *Server) exportComplaints(c echo.Context) error {
	f, err := complaintFilter(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	list, err := s.store.AllComplaints(ctx, scopeOf(c), f)
	if err != nil {
		return err
	}
	names, err := s.placeNames(ctx, scopeOf(c))
	if err != nil {
		return err
	}
	sheet := xlsxSheet{Name: "投诉台账", Header: []string{"序号", "来源", "编号", "日期", "学校", "类别", "内容摘要", "办理情况", "状态", "办结日期"}}
	for i, cp := range list {
		school := names[cp.SchoolID]
		ref := cp.SourceRef
		if ref == "" {
			ref = cp.ID
		}
		closed := ""
		if !cp.ClosedAt.IsZero() {
			closed = cp.ClosedAt.In(models.Shanghai).Format("2006-01-02")
		}
		status := models.ComplaintStatusNames[cp.Status]
		if cp.Overdue(s.now()) {
			status += "（逾期）"
		}
		sheet.Rows = append(sheet.Rows, []string{strconv.Itoa(i + 1), models.SourceNames[cp.Source], ref, cp.ReceivedOn.In(models.Shanghai).Format("2006-01-02"),
			school, models.ComplaintCategoryNames[cp.Category], cp.Summary(), cp.Outcome, status, closed})
	}
	s.audit(c, "complaint.export", "ledger", scopeOf(c).CountyID, scopeOf(c).SchoolID, strconv.Itoa(len(list)))
	return sendXLSX(c, []xlsxSheet{sheet}, "投诉台账-"+s.now().In(models.Shanghai).Format("20060102")+".xlsx")
}
