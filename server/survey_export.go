package server

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/xuri/excelize/v2"

	"kehou/models"
	"kehou/store"
)

var (
	summaryHeader  = []string{"层级", "范围", "目标家庭数", "答卷数", "参与率", "满意率", "知晓率", "NPS"}
	questionHeader = []string{"题号", "题目", "题型", "选项/项目", "人数", "占比", "平均分", "满意率", "NPS"}
	levelNames     = map[string]string{models.LevelAll: "全部", models.LevelCounty: "区县", models.LevelSchool: "学校"}
	typeNames      = map[string]string{models.QSingle: "单选", models.QMultiple: "多选", models.QRating: "评分", models.QNPS: "推荐度",
		models.QText: "填空", models.QLongText: "问答", models.QMatrix: "矩阵评分"}
)

// exportSurvey downloads the results within the caller's scope: CSV (one table, a column for
// the group) or XLSX (a summary sheet, then one sheet per group, then the text answers). Both
// carry only aggregates and texts with their school: nothing links an answer to a family.
func (s *Server) exportSurvey(c echo.Context) error {
	ctx := c.Request().Context()
	scope := scopeOf(c)
	sv, err := s.store.SurveyVisible(ctx, scope, c.Param("id"))
	if err != nil {
		return err
	}
	format := c.QueryParam("format")
	if format == "" {
		format = "xlsx"
	}
	if format != "xlsx" && format != "csv" {
		return models.FieldErrors{"format": "取值应为 xlsx/csv 之一"}
	}
	r, err := s.store.Results(ctx, sv, scope)
	if err != nil {
		return err
	}
	s.audit(c, "survey.export", sv.ID, sv.CountyID, sv.SchoolID, format)
	name := url.PathEscape(sv.Title + "-结果." + format)
	c.Response().Header().Set(echo.HeaderContentDisposition, "attachment; filename*=UTF-8''"+name)
	if format == "csv" {
		return c.Blob(http.StatusOK, "text/csv; charset=utf-8", resultsCSV(sv, r))
	}
	texts, err := s.allTexts(c, sv, scope)
	if err != nil {
		return err
	}
	b, err := resultsXLSX(sv, r, texts)
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b)
}

// allTexts collects the text answers for the export's last sheet, page by page, capped so that
// an export stays a download rather than a dump (the texts endpoint pages through the rest).
func (s *Server) allTexts(c echo.Context, sv models.Survey, scope models.Scope) ([][]string, error) {
	const maxRows = 20000
	ctx := c.Request().Context()
	names := map[string]string{}
	schools, err := s.textSchools(ctx, sv, scope)
	if err != nil {
		return nil, err
	}
	var rows [][]string
	for _, q := range sv.Questions {
		if q.Type != models.QText && q.Type != models.QLongText && !hasOther(q) {
			continue
		}
		p := store.Page{Limit: store.MaxPageSize}
		for len(rows) < maxRows {
			list, next, err := s.store.TextAnswers(ctx, sv.ID, scope, schools, q, "", p)
			if err != nil {
				return nil, err
			}
			for _, t := range list {
				if _, ok := names[t.SchoolID]; !ok {
					sc, err := s.store.School(ctx, t.SchoolID)
					if err == nil {
						names[t.SchoolID] = sc.Name
					}
				}
				rows = append(rows, []string{names[t.SchoolID], q.ID, q.Title, t.Text})
			}
			if next == "" {
				break
			}
			p.Cursor = next
		}
	}
	return rows, nil
}

func pct(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v*100, 'f', 1, 64) + "%"
}

func num(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

func summaryRow(g models.GroupResult) []string {
	return []string{levelNames[g.Level], g.Name, strconv.Itoa(g.Targeted), strconv.Itoa(g.Responses), pct(g.ResponseRate),
		pct(g.SatisfactionRate), pct(g.AwarenessRate), num(g.NPS)}
}

// questionRows lays out one group's per-question figures under questionHeader.
func questionRows(sv models.Survey, g models.GroupResult) [][]string {
	if g.TooFew {
		return [][]string{{"", g.Note}}
	}
	var rows [][]string
	for _, q := range g.Questions {
		def := sv.Question(q.ID)
		head := []string{q.ID, q.Title, typeNames[q.Type]}
		row := func(item string, count int, share, mean, sat, nps string) {
			rows = append(rows, append(append([]string{}, head...), item, strconv.Itoa(count), share, mean, sat, nps))
		}
		switch q.Type {
		case models.QSingle, models.QMultiple:
			for _, o := range q.Options {
				share := o.Share
				row(o.Label, o.Count, pct(&share), "", "", "")
			}
			if q.OtherTexts > 0 {
				row("（其他说明）", q.OtherTexts, "", "", "", "")
			}
		case models.QRating:
			row("合计", q.Answered, "", num(q.Mean), pct(q.SatisfactionRate), "")
			for i, n := range q.Counts {
				share := float64(n) / float64(max(q.Answered, 1))
				row(fmt.Sprintf("%d分 %s", i+1, label(def, i)), n, pct(&share), "", "", "")
			}
		case models.QNPS:
			row("合计", q.Answered, "", num(q.Mean), "", num(q.NPS))
		case models.QMatrix:
			for _, r := range q.Rows {
				row(r.Label, r.Answered, "", num(r.Mean), pct(r.SatisfactionRate), "")
			}
		default:
			row("文字答案", q.Texts, "", "", "", "")
		}
	}
	return rows
}

func label(q *models.Question, i int) string {
	if q != nil && i < len(q.Labels) {
		return q.Labels[i]
	}
	return ""
}

// resultsCSV is UTF-8 with a byte-order mark, so that Excel opens the Chinese correctly.
func resultsCSV(sv models.Survey, r store.SurveyResults) []byte {
	var b bytes.Buffer
	b.WriteString("\uFEFF")
	w := newSafeCSV(&b)
	_ = w.Write(summaryHeader)
	for _, g := range r.Groups {
		_ = w.Write(summaryRow(g))
	}
	_ = w.Write(nil)
	_ = w.Write(append([]string{"范围"}, questionHeader...))
	for _, g := range r.Groups {
		for _, row := range questionRows(sv, g) {
			_ = w.Write(append([]string{g.Name}, row...))
		}
	}
	_ = w.Flush() // a bytes.Buffer does not fail
	return b.Bytes()
}

// resultsXLSX lays the results out as a workbook: summary, one sheet per group, text answers.
func resultsXLSX(sv models.Survey, r store.SurveyResults, texts [][]string) ([]byte, error) {
	var summary [][]string
	for _, g := range r.Groups {
		summary = append(summary, summaryRow(g))
	}
	sheets := []xlsxSheet{{"汇总", summaryHeader, summary}}
	for _, g := range r.Groups {
		sheets = append(sheets, xlsxSheet{g.Name, questionHeader, questionRows(sv, g)})
	}
	sheets = append(sheets, xlsxSheet{"文字答案", []string{"学校", "题号", "题目", "内容"}, texts})
	return writeXLSX(sheets)
}

// xlsxSheet is one sheet of an export: a header row and text cells.
type xlsxSheet struct {
	Name   string
	Header []string
	Rows   [][]string
}

// writeXLSX writes a workbook with excelize's stream writer (flat memory for long sheets).
func writeXLSX(sheets []xlsxSheet) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	used := map[string]bool{}
	for _, sh := range sheets {
		name := sheetName(sh.Name, used)
		if _, err := f.NewSheet(name); err != nil {
			return nil, err
		}
		sw, err := f.NewStreamWriter(name)
		if err != nil {
			return nil, err
		}
		for i, row := range append([][]string{sh.Header}, sh.Rows...) {
			cells := make([]any, len(row))
			for j, v := range row {
				cells[j] = v
			}
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := sw.SetRow(cell, cells); err != nil {
				return nil, err
			}
		}
		if err := sw.Flush(); err != nil {
			return nil, err
		}
	}
	if err := f.DeleteSheet("Sheet1"); err != nil {
		return nil, err
	}
	f.SetActiveSheet(0)
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// sheetName makes a valid, unique sheet name: at most 31 characters, none of []:*?/\.
func sheetName(name string, used map[string]bool) string {
	name = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]:*?/\`, r) {
			return '_'
		}
		return r
	}, name)
	if r := []rune(name); len(r) > 28 {
		name = string(r[:28])
	}
	base := name
	for i := 2; used[name]; i++ {
		name = fmt.Sprintf("%s(%d)", base, i)
	}
	used[name] = true
	return name
}
