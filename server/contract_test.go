package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/labstack/echo/v4"
)

// The contract: every request a test sends and every response the server gives is checked
// against openapi.yaml (the document the console and the mini-program are generated from).
// A response whose status the operation does not list, or whose JSON body does not match its
// schema, fails the test that sent the request; so does a request the document rejects that
// the server accepts (2xx). A request that both reject is a test sending bad input on purpose.

// Instants are RFC 3339 in Sanming's offset; calendar dates are bare YYYY-MM-DD.
var (
	dateTimeFormat = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+08:00$`)
	dateFormat     = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
)

// contractDateTime is the date-time format the validator holds instants to.
var contractDateTime = dateTimeFormat

type contractDoc struct {
	doc    *openapi3.T
	router routers.Router
}

var (
	contractOnce sync.Once
	contractVal  *contractDoc
	contractErr  error

	// coverage counts the responses validated, by operationId.
	coverageMu sync.Mutex
	coverage   = map[string]*opCoverage{}
)

type opCoverage struct{ total, ok int }

func strictFormat(re *regexp.Regexp, what string) openapi3.StringFormatValidator {
	return openapi3.NewCallbackValidator(func(v string) error {
		if !re.MatchString(v) {
			return fmt.Errorf("%q is not %s", v, what)
		}
		layout := time.DateOnly
		if len(v) > len(layout) {
			layout = time.RFC3339Nano
		}
		if _, err := time.Parse(layout, v); err != nil {
			return fmt.Errorf("%q is not %s: %v", v, what, err)
		}
		return nil
	})
}

// loadContract parses openapi.yaml once for the whole test binary.
func loadContract() (*contractDoc, error) {
	contractOnce.Do(func() {
		openapi3.DefineStringFormatValidator("date-time", strictFormat(contractDateTime, "an RFC 3339 time at +08:00"))
		openapi3.DefineStringFormatValidator("date", strictFormat(dateFormat, "a YYYY-MM-DD date"))
		openapi3filter.RegisterBodyDecoder("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", openapi3filter.FileBodyDecoder)
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(openAPI)
		if err != nil {
			contractErr = fmt.Errorf("openapi.yaml: %w", err)
			return
		}
		if err := doc.Validate(context.Background()); err != nil {
			contractErr = fmt.Errorf("openapi.yaml is not a valid OpenAPI document: %w", err)
			return
		}
		// Match paths whatever host the test request names.
		rdoc := *doc
		rdoc.Servers = nil
		router, err := gorillamux.NewRouter(&rdoc)
		if err != nil {
			contractErr = fmt.Errorf("openapi.yaml router: %w", err)
			return
		}
		contractVal = &contractDoc{doc: doc, router: router}
	})
	return contractVal, contractErr
}

// contractOptions validate answers; requestOptions validate what tests send, where an instant
// may carry any offset (the server reads "…Z" and "…+08:00" alike; it writes only +08:00).
var (
	contractOptions = &openapi3filter.Options{
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
		IncludeResponseStatus: true,
		MultiError:            true,
	}
	requestOptions = &openapi3filter.Options{
		AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
		MultiError:         true,
		SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.WithStringFormatValidator("date-time",
			openapi3.NewCallbackValidator(func(v string) error {
				_, err := time.Parse(time.RFC3339Nano, v)
				return err
			}))},
	}
)

// validated wraps the server's handler so that every exchange is checked against the document.
// extra is the env's Deps.Extra: routes a test mounts for itself are not the API's.
func validated(t *testing.T, h http.Handler, extra func(*echo.Echo, echo.MiddlewareFunc)) http.Handler {
	cd, err := loadContract()
	if err != nil {
		t.Fatal(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var reqBody []byte
		if r.Body != nil {
			reqBody, _ = io.ReadAll(r.Body)
			_ = r.Body.Close()
		}
		r.Body = io.NopCloser(bytes.NewReader(reqBody))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		opID, msg := cd.check(r, reqBody, rec)
		if opID != "" {
			countResponse(opID, rec.Code)
		}
		if msg != "" && !isExtraRoute(extra, r) {
			t.Errorf("openapi contract: %s %s → %d: %s", r.Method, r.URL.RequestURI(), rec.Code, msg)
		}
	})
}

// check returns the exchange's operationId ("" when the document has no such route) and what
// is wrong with it ("" when nothing).
func (cd *contractDoc) check(r *http.Request, reqBody []byte, rec *httptest.ResponseRecorder) (opID, problem string) {
	vr := r.Clone(context.Background())
	vr.Body = io.NopCloser(bytes.NewReader(reqBody))
	if p := r.URL.Path; p == "/" || p == "/console" || strings.HasPrefix(p, "/console/") {
		return "", "" // the staff console's pages (console.go), not the API
	}
	route, params, err := cd.router.FindRoute(vr)
	if err != nil {
		if rec.Code == http.StatusNotFound || rec.Code == http.StatusMethodNotAllowed {
			return "", "" // an unknown route, and the server says so
		}
		return "", "the document has no such operation: " + err.Error()
	}
	op := route.Operation
	return op.OperationID, cd.checkOp(op, vr, params, route, rec)
}

func (cd *contractDoc) checkOp(op *openapi3.Operation, vr *http.Request, params map[string]string, route *routers.Route, rec *httptest.ResponseRecorder) string {
	in := &openapi3filter.RequestValidationInput{Request: vr, PathParams: params, Route: route, Options: requestOptions}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil && rec.Code < 300 {
		return fmt.Sprintf("the server accepted a request the document rejects: %v", err)
	}
	in.Options = contractOptions
	ctype := rec.Header().Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ctype)
	opts := *contractOptions
	body := rec.Body.Bytes()
	if len(body) > 0 && mt != "application/json" {
		// Files (CSV, XLSX, PNG, YAML, metrics): the document names the type; bodies are not parsed.
		resp := op.Responses.Status(rec.Code)
		if resp == nil {
			resp = op.Responses.Default()
		}
		if resp == nil || resp.Value == nil {
			return fmt.Sprintf("status %d is not documented", rec.Code)
		}
		if resp.Value.Content.Get(ctype) == nil {
			return fmt.Sprintf("content type %q is not documented for %d", ctype, rec.Code)
		}
		opts.ExcludeResponseBody = true
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 rec.Code,
		Header:                 rec.Header(),
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &opts,
	}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		return fmt.Sprintf("response does not match the document: %v\nbody: %.2000s", err, body)
	}
	return ""
}

// isExtraRoute reports whether r is for a route the test mounted through Deps.Extra.
func isExtraRoute(extra func(*echo.Echo, echo.MiddlewareFunc), r *http.Request) bool {
	if extra == nil {
		return false
	}
	x := echo.New()
	extra(x, func(h echo.HandlerFunc) echo.HandlerFunc { return h })
	for _, rt := range x.Routes() {
		prefix, wild := strings.CutSuffix(rt.Path, "*") // a subtree (the queue monitor's)
		if rt.Method == r.Method && (rt.Path == r.URL.Path || wild && strings.HasPrefix(r.URL.Path, prefix)) {
			return true
		}
	}
	return false
}

func countResponse(opID string, status int) {
	coverageMu.Lock()
	defer coverageMu.Unlock()
	c := coverage[opID]
	if c == nil {
		c = &opCoverage{}
		coverage[opID] = c
	}
	c.total++
	if status >= 200 && status < 300 {
		c.ok++
	}
}

// reportContractCoverage prints, after the tests ran, how many responses were validated and
// which operations no test answered with a 2xx.
func reportContractCoverage() {
	cd, err := loadContract()
	if err != nil || len(coverage) == 0 {
		return
	}
	coverageMu.Lock()
	defer coverageMu.Unlock()
	var total, ops, okOps int
	var missing []string
	for path, item := range cd.doc.Paths.Map() {
		for method, op := range item.Operations() {
			ops++
			c := coverage[op.OperationID]
			if c != nil && c.ok > 0 {
				okOps++
			} else {
				missing = append(missing, method+" "+path)
			}
		}
	}
	for _, c := range coverage {
		total += c.total
	}
	sort.Strings(missing)
	fmt.Fprintf(os.Stderr, "openapi contract: %d responses validated; %d of %d operations answered 2xx at least once\n", total, okOps, ops)
	if testing.Verbose() {
		for _, m := range missing {
			fmt.Fprintf(os.Stderr, "openapi contract: no 2xx for %s\n", m)
		}
	}
}

// TestOpenAPIDocumentComplete: every operation has a unique camelCase operationId and a 2xx
// answer, and no response is only prose: every answer but 204 and 304 has content, and every
// content (JSON or a file) names a schema.
func TestOpenAPIDocumentComplete(t *testing.T) {
	cd, err := loadContract()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	camel := regexp.MustCompile(`^[a-z][a-zA-Z0-9]*$`)
	for path, item := range cd.doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			switch {
			case op.OperationID == "":
				t.Errorf("%s: no operationId", where)
			case !camel.MatchString(op.OperationID):
				t.Errorf("%s: operationId %q is not camelCase", where, op.OperationID)
			case ids[op.OperationID] != "":
				t.Errorf("%s: operationId %q also names %s", where, op.OperationID, ids[op.OperationID])
			}
			ids[op.OperationID] = where
			has2xx := false
			for status, rr := range op.Responses.Map() {
				r := rr.Value
				if r == nil {
					t.Errorf("%s %s: unresolved response", where, status)
					continue
				}
				if status[0] == '2' {
					has2xx = true
				}
				if status == "204" || status == "304" {
					if len(r.Content) > 0 {
						t.Errorf("%s %s: answered without a body", where, status)
					}
					continue
				}
				if len(r.Content) == 0 {
					t.Errorf("%s %s: prose only (%q), no content", where, status, deref(r.Description))
					continue
				}
				for ctype, mt := range r.Content {
					if mt.Schema == nil {
						t.Errorf("%s %s %s: no schema", where, status, ctype)
					}
				}
			}
			if !has2xx {
				t.Errorf("%s: no 2xx response", where)
			}
		}
	}
	t.Logf("%d operations, %d schemas", len(ids), len(cd.doc.Components.Schemas))
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// TestContractValidatorRejects: the validator itself fails what it should (so a green suite
// means the answers matched, not that nothing was checked).
func TestContractValidatorRejects(t *testing.T) {
	cd, err := loadContract()
	if err != nil {
		t.Fatal(err)
	}
	answer := func(status int, body string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		rec.Header().Set("Content-Type", "application/json")
		rec.WriteHeader(status)
		_, _ = rec.WriteString(body)
		return rec
	}
	county := func(created string) string {
		return `{"id":"c1","name":"甲区","created_at":"` + created + `","updated_at":"2026-12-03T16:37:00+08:00"}`
	}
	get := httptest.NewRequest(http.MethodGet, "/api/v1/admin/counties/c1", nil)
	patch := func(body string) *http.Request {
		r := httptest.NewRequest(http.MethodPatch, "/api/v1/admin/counties/c1", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		return r
	}
	cases := []struct {
		name    string
		req     *http.Request
		body    string
		rec     *httptest.ResponseRecorder
		wantBad bool
	}{
		{"a good answer", get, "", answer(200, county("2026-12-03T16:37:00+08:00")), false},
		{"an instant at UTC", get, "", answer(200, county("2026-12-03T08:37:00Z")), true},
		{"a required field missing", get, "", answer(200, `{"id":"c1"}`), true},
		{"a status not listed", get, "", answer(418, `{"error":{"code":"x","message":"x"}}`), true},
		{"a bad request answered 2xx", patch(`{"name":7}`), `{"name":7}`, answer(200, county("2026-12-03T16:37:00+08:00")), true},
		{"a bad request refused", patch(`{"name":7}`), `{"name":7}`, answer(422, `{"error":{"code":"validation_failed","message":"x"}}`), false},
		{"an unknown route not found", httptest.NewRequest(http.MethodGet, "/api/v1/nowhere", nil), "", answer(404, `{"error":{"code":"not_found","message":"x"}}`), false},
		{"an unknown route answered", httptest.NewRequest(http.MethodGet, "/api/v1/nowhere", nil), "", answer(200, `{}`), true},
	}
	for _, c := range cases {
		_, msg := cd.check(c.req, []byte(c.body), c.rec)
		if (msg != "") != c.wantBad {
			t.Errorf("%s: check says %q", c.name, msg)
		}
	}
}
