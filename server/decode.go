package server

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"kehou/models"
	"kehou/store"
)

// form is a request body type that can check itself.
type form interface{ validate() error }

// bind decodes a JSON body strictly into f and validates it: unknown fields, trailing data and
// wrong types are refused with the error envelope, never silently ignored.
func bind(c echo.Context, f form) error {
	if err := decodeJSON(c, f); err != nil {
		return err
	}
	return f.validate()
}

func decodeJSON(c echo.Context, v any) error {
	if ct := c.Request().Header.Get(echo.HeaderContentType); ct != "" {
		if mt, _, _ := mime.ParseMediaType(ct); mt != echo.MIMEApplicationJSON {
			return echo.ErrUnsupportedMediaType
		}
	}
	raw, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return jsonError(err)
	}
	// encoding/json would replace invalid UTF-8 with U+FFFD and store it silently, and a NUL
	// (\u0000) reaches the database as is. Invalid bytes become \u0000 escapes here, so that
	// the one walk below finds both and names the field they are in.
	invalid := !utf8.Valid(raw)
	if invalid {
		raw = escapeInvalidUTF8(raw)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("trailing data")
	}
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = errors.New("trailing data")
		}
	}
	if err != nil {
		if invalid {
			return models.FieldErrors{"body": msgBadText}
		}
		return jsonError(err)
	}
	if field, msg := badTextField(reflect.ValueOf(v), ""); field != "" {
		return models.FieldErrors{field: msg}
	} else if invalid { // an invalid byte somewhere the walk cannot see (after a backslash)
		return models.FieldErrors{"body": msgBadText}
	}
	return nil
}

const msgBadText = models.MsgBadText

var badText = models.BadText

// escapeInvalidUTF8 replaces every invalid UTF-8 byte with the six characters \u0000. JSON
// allows such bytes only inside strings, where the escape decodes to a NUL that badTextField
// finds; anywhere else the body was malformed anyway.
func escapeInvalidUTF8(raw []byte) []byte {
	out := make([]byte, 0, len(raw)+32)
	for len(raw) > 0 {
		r, n := utf8.DecodeRune(raw)
		if r == utf8.RuneError && n == 1 {
			out = append(out, `\u0000`...)
		} else {
			out = append(out, raw[:n]...)
		}
		raw = raw[n:]
	}
	return out
}

// textProblem is what is wrong with one string of any request body: invalid UTF-8 or a NUL,
// or more than models.MaxText characters. MaxText is a backstop above every field's own limit
// (checked by the forms' validate), so that no free-text field is unbounded.
func textProblem(s string) string {
	switch {
	case badText(s):
		return msgBadText
	case len(s) > models.MaxText && utf8.RuneCountInString(s) > models.MaxText:
		return models.MsgTooLong
	}
	return ""
}

// badTextField walks a decoded request body and returns the JSON path of the first string
// that textProblem refuses ("questions[2].options[0].label") and the problem, or "".
func badTextField(v reflect.Value, path string) (string, string) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return "", ""
		}
		return badTextField(v.Elem(), path)
	case reflect.String:
		if msg := textProblem(v.String()); msg != "" {
			return cmp.Or(path, "body"), msg
		}
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 { // []byte, json.RawMessage
			if b := v.Bytes(); !utf8.Valid(b) || bytes.Contains(b, []byte(`\u0000`)) || bytes.IndexByte(b, 0) >= 0 {
				return cmp.Or(path, "body"), msgBadText
			}
			return "", ""
		}
		for i := range v.Len() {
			if f, msg := badTextField(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); f != "" {
				return f, msg
			}
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			k := fmt.Sprint(iter.Key().Interface())
			if msg := textProblem(k); iter.Key().Kind() == reflect.String && msg != "" {
				return cmp.Or(path, "body"), msg
			}
			if f, msg := badTextField(iter.Value(), joinPath(path, k)); f != "" {
				return f, msg
			}
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			sf := t.Field(i)
			if !sf.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			p := path
			if !sf.Anonymous || name != "" {
				p = joinPath(path, cmp.Or(name, sf.Name))
			}
			if f, msg := badTextField(v.Field(i), p); f != "" {
				return f, msg
			}
		}
	}
	return "", ""
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// rejectBadText refuses a query parameter with invalid UTF-8 or a NUL (422, the parameter
// named) and a path parameter with one (404: no id or name has such text). Bodies are
// checked where they are decoded (decodeJSON, uploads).
func rejectBadText(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		for name, vals := range c.QueryParams() {
			for _, v := range vals {
				if badText(name) || badText(v) {
					if badText(name) {
						name = "query"
					}
					return models.FieldErrors{name: msgBadText}
				}
			}
		}
		for _, v := range c.ParamValues() {
			if badText(v) {
				return errNotFound
			}
		}
		return next(c)
	}
}

// jsonError turns a decoding failure into what the client should see.
func jsonError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, echo.ErrStatusRequestEntityTooLarge) {
		return echo.ErrStatusRequestEntityTooLarge
	}
	var he *echo.HTTPError
	if errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge {
		return he
	}
	if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		field = strings.Trim(field, `"`)
		return &apiError{Status: http.StatusBadRequest, Code: "unknown_field", Message: "请求包含不支持的字段",
			Fields: map[string]string{field: "不支持的字段"}}
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return models.FieldErrors{te.Field: "类型不正确"}
	}
	if errors.Is(err, io.EOF) {
		return &apiError{Status: http.StatusBadRequest, Code: "malformed_json", Message: "请求体为空"}
	}
	return errMalformedJSON
}

// pageParams reads ?cursor=&limit= for list endpoints.
func pageParams(c echo.Context) (store.Page, error) {
	p := store.Page{Cursor: c.QueryParam("cursor")}
	if l := c.QueryParam("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > store.MaxPageSize {
			return p, models.FieldErrors{"limit": "应为1–" + strconv.Itoa(store.MaxPageSize) + "之间的整数"}
		}
		p.Limit = n
	}
	// Cursors are ids, or a send batch's key and a member id for a notice's deliveries.
	if len(p.Cursor) > 160 {
		return p, models.FieldErrors{"cursor": models.MsgInvalid}
	}
	return p, nil
}

// listBody is the shape of every paginated answer.
type listBody[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}
