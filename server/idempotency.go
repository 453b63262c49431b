package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"regexp"
	"time"

	"github.com/labstack/echo/v4"
)

var goodIdemKey = regexp.MustCompile(`^[\x21-\x7e]{1,128}$`)

// recorder keeps a copy of what the handler wrote so it can be replayed.
type recorder struct {
	http.ResponseWriter
	buf bytes.Buffer
}

func (r *recorder) Write(b []byte) (int, error) {
	r.buf.Write(b)
	return r.ResponseWriter.Write(b)
}

// idempotent honours the Idempotency-Key header on creating POSTs: the same key with the same
// body gets the first answer again (marked Idempotent-Replayed), the same key with another body
// gets 422, and a key whose first request is still running gets 409. Keys are per caller and
// route, and are kept for 24 hours. A 5xx answer is not kept, so the client may retry.
func (s *Server) idempotent(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		key := c.Request().Header.Get("Idempotency-Key")
		if key == "" {
			return next(c)
		}
		if !goodIdemKey.MatchString(key) {
			return &apiError{Status: http.StatusBadRequest, Code: "bad_idempotency_key", Message: "Idempotency-Key 应为1–128个可见ASCII字符"}
		}
		body, err := io.ReadAll(c.Request().Body)
		if err != nil {
			return jsonError(err)
		}
		c.Request().Body = io.NopCloser(bytes.NewReader(body))
		// The key's bookkeeping must survive the client hanging up, which is exactly when it
		// will retry: a key left pending would refuse the retry, then let it run twice.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), 10*time.Second)
		defer cancel()
		id := hashHex(principal(c) + "\n" + c.Request().Method + " " + c.Request().URL.Path + "\n" + key)
		rec, fresh, err := s.store.BeginIdempotent(ctx, id, hashHex(string(body)))
		if err != nil {
			return err
		}
		if !fresh {
			switch {
			case rec.BodyHash != hashHex(string(body)):
				return errIdemReused
			case rec.State != "done":
				return errIdemInProgress
			}
			c.Response().Header().Set("Idempotent-Replayed", "true")
			return c.Blob(rec.Status, rec.ContentType, rec.Body)
		}
		w := &recorder{ResponseWriter: c.Response().Writer}
		c.Response().Writer = w
		if err := next(c); err != nil {
			c.Error(err)
		}
		status := c.Response().Status
		if status >= 500 {
			if err := s.store.AbandonIdempotent(ctx, id); err != nil {
				s.log.Error("abandon idempotency key", "request_id", requestID(c), "err", err)
			}
			return nil
		}
		if err := s.store.FinishIdempotent(ctx, id, status, c.Response().Header().Get(echo.HeaderContentType), w.buf.Bytes()); err != nil {
			s.log.Error("store idempotent response", "request_id", requestID(c), "err", err)
		}
		return nil
	}
}

func hashHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
