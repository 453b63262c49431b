package server

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/xuri/excelize/v2"

	"kehou/models"
	"kehou/store"
)

// rosterFile returns the uploaded file: either a multipart field "file" (a browser upload) or
// the raw body with Content-Type text/csv or the XLSX type (a script).
const mimeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

func rosterFile(c echo.Context) ([]byte, error) {
	mt, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	var r io.Reader
	switch mt {
	case "text/csv", "application/csv", "text/plain", mimeXLSX:
		r = c.Request().Body
	case echo.MIMEMultipartForm:
		fh, err := c.FormFile("file")
		if err != nil {
			if errors.Is(err, echo.ErrStatusRequestEntityTooLarge) {
				return nil, err
			}
			return nil, models.FieldErrors{"file": "请上传CSV或XLSX文件"}
		}
		f, err := fh.Open()
		if err != nil {
			return nil, fmt.Errorf("open upload: %w", err)
		}
		defer f.Close()
		r = f
	default:
		return nil, echo.ErrUnsupportedMediaType
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, jsonError(err)
	}
	return b, nil
}

var oneLine = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ")

// xlsxAsCSV turns an XLSX workbook (a zip) into the CSV of its first sheet, one line per sheet
// row so that the line numbers of errors are the row numbers Excel shows; a cell's line breaks
// become spaces for the same reason. Anything else is returned as it came.
func xlsxAsCSV(raw []byte) ([]byte, error) {
	if !bytes.HasPrefix(raw, []byte("PK")) {
		return raw, nil
	}
	f, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		return nil, models.FieldErrors{"file": "文件无法读取，请上传CSV或XLSX"}
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetName(0), excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, models.FieldErrors{"file": "工作表无法读取，请另存为CSV后上传"}
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	for _, row := range rows {
		for i, cell := range row {
			row[i] = oneLine.Replace(cell)
		}
		if len(row) == 0 {
			row = []string{""}
		}
		if err := w.Write(row); err != nil {
			return nil, fmt.Errorf("xlsx as csv: %w", err)
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// importRoster takes a school's roster (CSV, or the first sheet of an XLSX) whole or not at all: any bad line rejects the file
// with every problem listed by line number, so the admin fixes the file and uploads it again.
func (s *Server) importRoster(c echo.Context) error {
	ctx := c.Request().Context()
	sc, err := s.store.SchoolInScope(ctx, scopeOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	raw, err := rosterFile(c)
	if err != nil {
		return err
	}
	if raw, err = xlsxAsCSV(raw); err != nil {
		return err
	}
	lo, hi := sc.Grades()
	rows, lineErrs, err := models.ParseRoster(bytes.NewReader(raw), lo, hi)
	switch {
	case errors.Is(err, models.ErrRosterHeader):
		return &apiError{Status: http.StatusUnprocessableEntity, Code: "bad_roster", Message: "花名册第一行须为列名：学号,姓名,年级,班级"}
	case errors.Is(err, models.ErrBadText):
		return models.FieldErrors{"file": models.MsgBadText}
	case errors.Is(err, models.ErrRosterTooLong):
		return &apiError{Status: http.StatusUnprocessableEntity, Code: "bad_roster", Message: fmt.Sprintf("花名册超过%d行，请分批上传", models.MaxRosterRows)}
	case err != nil:
		return &apiError{Status: http.StatusUnprocessableEntity, Code: "bad_roster", Message: "花名册文件无法读取，请保存为CSV（UTF-8或GBK）后重试"}
	}
	if len(lineErrs) > 0 {
		return &apiError{Status: http.StatusUnprocessableEntity, Code: "roster_rows_invalid",
			Message: fmt.Sprintf("花名册有%d行错误，未导入任何数据，请修改后重新上传", len(lineErrs)), Lines: lineErrs}
	}
	if len(rows) == 0 {
		return models.FieldErrors{"file": "花名册没有数据行"}
	}
	res, err := s.store.ImportRoster(ctx, sc, rows)
	if err != nil {
		return err
	}
	s.audit(c, "roster.import", sc.ID, sc.CountyID, sc.ID, fmt.Sprintf("created=%d updated=%d", res.Created, res.Updated))
	return c.JSON(http.StatusOK, res)
}

func (s *Server) listChildren(c echo.Context) error {
	ctx := c.Request().Context()
	sc, err := s.store.SchoolInScope(ctx, scopeOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	p, err := pageParams(c)
	if err != nil {
		return err
	}
	grade := 0
	if g := c.QueryParam("grade"); g != "" {
		if grade, err = strconv.Atoi(g); err != nil {
			return models.FieldErrors{"grade": models.MsgInvalid}
		}
	}
	list, next, err := s.store.Children(ctx, sc.ID, grade, c.QueryParam("class"), p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listBody[models.Child]{list, next})
}

// bindingCodes exports the letter-to-parents list: full names and one-time binding codes of the
// school's pupils, as a CSV Excel opens (UTF-8 with BOM). Full names are needed here because the
// letters go to the right family by name; the export is audited.
func (s *Server) bindingCodes(c echo.Context) error {
	ctx := c.Request().Context()
	sc, err := s.store.SchoolInScope(ctx, scopeOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	buf.WriteString("\xef\xbb\xbf")
	w := newSafeCSV(&buf)
	_ = w.Write([]string{"学号", "姓名", "年级", "班级", "绑定码"})
	p := store.Page{Limit: store.MaxPageSize}
	for {
		list, next, err := s.store.Children(ctx, sc.ID, 0, "", p)
		if err != nil {
			return err
		}
		for _, ch := range list {
			name, err := s.store.ChildName(ch)
			if err != nil {
				return err
			}
			code, err := s.store.BindCode(ch)
			if err != nil {
				return err
			}
			_ = w.Write([]string{ch.StudentNo, name, strconv.Itoa(ch.Grade), ch.Class, code})
		}
		if next == "" {
			break
		}
		p.Cursor = next
	}
	if err := w.Flush(); err != nil {
		return err
	}
	s.audit(c, "roster.export_binding_codes", sc.ID, sc.CountyID, sc.ID, "")
	filename := fmt.Sprintf("binding-codes-%s.csv", time.Now().Format("20060102"))
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+filename+`"`)
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}
