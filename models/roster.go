package models

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// RosterRow is one valid line of a school's roster file.
type RosterRow struct {
	Line      int
	StudentNo string
	Name      string
	Grade     int
	Class     string
	Phone     string // a guardian's mobile (+86…), optional: SMS goes there when no parent authorised one
}

// LineError is a problem with one line of an uploaded file, reported so that the school admin
// can fix the file in Excel: line numbers count the header as line 1.
type LineError struct {
	Line    int    `json:"line"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// MaxRosterRows bounds one upload; a large junior school has about 3,000 pupils.
const MaxRosterRows = 10000

var (
	studentNo = regexp.MustCompile(`^[A-Za-z0-9-]{1,32}$`)
	// ErrRosterTooLong means the file has more than MaxRosterRows rows.
	ErrRosterTooLong = errors.New("roster: too many rows")
	// ErrRosterHeader means the file has no recognisable header line.
	ErrRosterHeader = errors.New("roster: header must name the columns 学号, 姓名, 年级, 班级 (or student_no, name, grade, class)")
)

var rosterColumns = map[string]string{
	"学号": "student_no", "student_no": "student_no",
	"姓名": "name", "name": "name",
	"年级": "grade", "grade": "grade",
	"班级": "class", "class": "class",
	// Optional: a guardian's mobile number.
	"家长手机": "phone", "家长手机号": "phone", "联系电话": "phone", "guardian_phone": "phone", "phone": "phone",
}

// ParseRoster reads a CSV roster (UTF-8 with or without BOM, or GB18030 as saved by Chinese
// Excel) for a school teaching grades lo..hi. It returns the good rows and every bad line; the
// caller imports nothing when there is any bad line, so a file is taken whole or not at all.
func ParseRoster(r io.Reader, lo, hi int) ([]RosterRow, []LineError, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, fmt.Errorf("roster: read: %w", err)
	}
	if raw, err = DecodeTextFile(raw); err != nil {
		return nil, nil, fmt.Errorf("roster: %w", err)
	}
	cr := csv.NewReader(bytes.NewReader(raw))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, nil, ErrRosterHeader
	}
	col := map[string]int{}
	for i, h := range header {
		if name, ok := rosterColumns[strings.ToLower(strings.TrimSpace(h))]; ok {
			col[name] = i
		}
	}
	for _, need := range []string{"student_no", "name", "grade", "class"} {
		if _, ok := col[need]; !ok {
			return nil, nil, ErrRosterHeader
		}
	}
	var (
		rows   []RosterRow
		errs   []LineError
		seen   = map[string]int{}
		lineNo = 1
	)
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		// The line the record starts on in the file (blank lines count, as in an editor).
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			lineNo = pe.StartLine
		} else if err == nil {
			lineNo, _ = cr.FieldPos(0)
		} else {
			lineNo++
		}
		if err != nil {
			errs = append(errs, LineError{Line: lineNo, Message: "无法解析该行"})
			continue
		}
		if blank(rec) {
			continue
		}
		if len(rows)+len(errs) >= MaxRosterRows {
			return nil, nil, ErrRosterTooLong
		}
		cell := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		row := RosterRow{Line: lineNo, StudentNo: cell("student_no"), Name: cell("name"), Class: cell("class")}
		bad := func(field, msg string) { errs = append(errs, LineError{Line: lineNo, Field: field, Message: msg}) }
		switch {
		case !studentNo.MatchString(row.StudentNo):
			bad("student_no", "学号应为1–32位字母或数字")
		case seen[row.StudentNo] != 0:
			bad("student_no", fmt.Sprintf("学号与第%d行重复", seen[row.StudentNo]))
		default:
			if n := utf8.RuneCountInString(row.Name); n == 0 || n > 20 {
				bad("name", "姓名应为1–20个字")
				continue
			}
			g, ok := ParseGrade(cell("grade"))
			if !ok || g < lo || g > hi {
				bad("grade", fmt.Sprintf("年级应为%d–%d", lo, hi))
				continue
			}
			row.Grade = g
			if n := utf8.RuneCountInString(row.Class); n == 0 || n > 16 {
				bad("class", "班级应为1–16个字")
				continue
			}
			if p := cell("phone"); p != "" {
				if row.Phone, ok = NormalizeMobile(p); !ok {
					bad("phone", "家长手机号应为11位手机号码")
					continue
				}
			}
			seen[row.StudentNo] = lineNo
			rows = append(rows, row)
		}
	}
	return rows, errs, nil
}

func blank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

var chineseDigits = map[string]int{"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}

// ParseGrade accepts 3, 三年级, 3年级, and 初一..初三 (7..9).
func ParseGrade(s string) (int, bool) {
	s = strings.TrimSuffix(strings.TrimSpace(s), "年级")
	if n, err := strconv.Atoi(s); err == nil {
		return n, n >= 1 && n <= 9
	}
	if rest, ok := strings.CutPrefix(s, "初"); ok {
		if n, ok := chineseDigits[rest]; ok && n <= 3 {
			return n + 6, true
		}
		return 0, false
	}
	n, ok := chineseDigits[s]
	return n, ok
}
