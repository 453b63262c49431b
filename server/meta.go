package server

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"kehou/models"
)

// labelsBody is GET /api/v1/meta/labels: every enum's codes and their Chinese labels
// (models.AllLabels), encoded once, with a strong ETag over the bytes. The labels change only
// with a new build, so clients may cache them for an hour and revalidate cheaply.
var labelsBody = sync.OnceValues(func() ([]byte, string) {
	b, err := json.Marshal(models.AllLabels()) // maps encode with sorted keys: the same bytes every time
	if err != nil {
		panic(err)
	}
	sum := sha256.Sum256(b)
	return b, `"` + hex.EncodeToString(sum[:16]) + `"`
})

// metaLabels serves the labels to anyone (counted by the per-IP limit like every /api/v1 route).
func (s *Server) metaLabels(c echo.Context) error {
	body, etag := labelsBody()
	h := c.Response().Header()
	h.Set(echo.HeaderCacheControl, "public, max-age=3600")
	h.Set("ETag", etag)
	if etagMatches(c.Request().Header.Get("If-None-Match"), etag) {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSONCharsetUTF8, body)
}

// etagMatches implements If-None-Match's weak comparison (RFC 9110 13.1.2): "*" or any listed
// tag equal to etag, ignoring a W/ prefix.
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}
