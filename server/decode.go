package server

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

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
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("trailing data")
	}
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = errors.New("trailing data")
		}
	}
	return jsonError(err)
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
