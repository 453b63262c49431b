package server

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
)

// safeCSV is the one CSV writer of every export: csv.Writer with each cell passed through
// csvCell, so that no cell a user wrote (a pupil's name, a question's title, a school's name)
// can become a spreadsheet formula when the file is opened in Excel or WPS (CSV injection).
type safeCSV struct{ w *csv.Writer }

func newSafeCSV(w io.Writer) *safeCSV { return &safeCSV{csv.NewWriter(w)} }

// Write writes one row, neutralising formula-like cells.
func (s *safeCSV) Write(row []string) error {
	out := make([]string, len(row))
	for i, v := range row {
		out[i] = csvCell(v)
	}
	return s.w.Write(out)
}

// Flush writes out what is buffered and returns the first write error.
func (s *safeCSV) Flush() error {
	s.w.Flush()
	return s.w.Error()
}

// csvCell neutralises a cell as OWASP recommends for CSV injection: a cell that begins with =,
// +, -, @, a tab or a carriage return gets a leading single quote, which spreadsheets show as
// text and never evaluate.
//
// The rule looks at the content, not at who wrote the column: a cell that is entirely a
// decimal number (optionally with a trailing %), such as a negative NPS "-12.5" or a share
// "-3%", cannot be a formula, so it is left as is and stays numeric in the spreadsheet. Every
// other cell that begins with one of those characters is treated as text a user may control
// ("-1+cmd|' /C calc'!A0", "=HYPERLINK(...)") and is prefixed.
func csvCell(v string) string {
	if v == "" {
		return v
	}
	switch v[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if isPlainNumber(v) {
			return v
		}
		return "'" + v
	}
	return v
}

// isPlainNumber reports a decimal number such as -12, +3.5 or -12.5%: no exponent, no
// spaces, nothing a spreadsheet could read as a formula.
func isPlainNumber(v string) bool {
	v = strings.TrimSuffix(v, "%")
	if v == "" || strings.ContainsAny(v, "eEnNxX_ \t\r") { // no exponent, Inf, NaN, hex or separators
		return false
	}
	_, err := strconv.ParseFloat(v, 64)
	return err == nil
}
