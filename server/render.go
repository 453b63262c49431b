package server

import (
	"time"

	json "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
	"github.com/labstack/echo/v4"

	"kehou/models"
)

// InstantLayout is how every instant leaves the API: RFC 3339 in Beijing time, to the second
// ("2026-12-03T16:37:00+08:00"). People in Sanming read +08:00; a client that shows the string
// as it is shows the right wall-clock time. Calendar days are models.Day ("2026-12-03").
const InstantLayout = "2006-01-02T15:04:05Z07:00"

// renderJSON is echo's JSON serializer with one difference from encoding/json: a time.Time is
// written in Beijing time to the second, wherever it sits (a model field, a map, a slice). The
// stores hand back UTC, handlers compute in UTC, and request bodies carry whatever offset the
// client sent, so the conversion belongs here, once, and not in each handler.
//
// It encodes with go-json-experiment/json (the Go team's encoding/json/v2 as a module) in its
// v1-compatible mode, because encoding/json offers no way to say how a type it does not own is
// written. Everything else (field names, omitempty/omitzero, HTML escaping) is exactly
// encoding/json's, but for nil slices and maps, written [] and {} rather than null.
// Decoding stays with decode.go (encoding/json, strict).
//
// A zero time.Time is written as null: a field that can be unset carries `omitzero` and is
// absent; null marks one that was forgotten, and the API contract test fails on it.
type renderJSON struct{ echo.DefaultJSONSerializer }

var instantJSON = json.WithMarshalers(json.MarshalToFunc(func(enc *jsontext.Encoder, t time.Time) error {
	if t.IsZero() {
		return enc.WriteToken(jsontext.Null)
	}
	return enc.WriteToken(jsontext.String(t.In(models.Shanghai).Format(InstantLayout)))
}))

// emptyNotNull writes a nil slice as [] and a nil map as {}: a list is always an array (the
// document promises it, so a client never tests for null before iterating).
var emptyNotNull = json.JoinOptions(json.FormatNilSliceAsNull(false), json.FormatNilMapAsNull(false))

// Serialize writes i as the response body.
func (renderJSON) Serialize(c echo.Context, i any, indent string) error {
	opts := []json.Options{jsonv1.DefaultOptionsV1(), instantJSON, emptyNotNull}
	if indent != "" {
		opts = append(opts, jsontext.WithIndent(indent))
	}
	return json.MarshalWrite(c.Response(), i, opts...)
}
