package server

import (
	"net/http"
	"strings"
	"testing"
	"testing/fstest"
)

// TestConsoleServed: the console's files answer themselves, client-side routes answer the
// page, a missing asset is 404, and a binary without the console says how to build it.
func TestConsoleServed(t *testing.T) {
	e := newEnv(t)
	r := e.req(http.MethodGet, "/console/", "", nil)
	if r.Code != http.StatusServiceUnavailable || !strings.Contains(string(r.Body), "make run") {
		t.Fatalf("without the console: %d %s", r.Code, r.Body)
	}
	e.console = fstest.MapFS{
		"index.html":         {Data: []byte("<!doctype html><title>课后</title>")},
		"assets/app-1a2b.js": {Data: []byte("console.log(1)")},
	}
	e.rebuild()
	for _, c := range []struct{ path, code, want, cache string }{
		{"/console/", "200", "<title>课后</title>", "no-cache"},
		{"/console/notices/42", "200", "<title>课后</title>", "no-cache"}, // a client-side route
		{"/console/assets/app-1a2b.js", "200", "console.log(1)", "immutable"},
		{"/console/assets/gone-9z.js", "404", "", ""},
		{"/console/../../go.mod", "404", "", ""}, // cleaned: never outside the console's files
	} {
		r := e.req(http.MethodGet, c.path, "", nil)
		if got := http.StatusText(r.Code); r.Code != map[string]int{"200": 200, "404": 404}[c.code] {
			t.Errorf("%s: %d %s", c.path, r.Code, got)
			continue
		}
		if !strings.Contains(string(r.Body), c.want) || !strings.Contains(r.Header.Get("Cache-Control"), c.cache) {
			t.Errorf("%s: body %q, Cache-Control %q", c.path, r.Body, r.Header.Get("Cache-Control"))
		}
		if r.Code == 200 && !strings.Contains(r.Header.Get("Content-Security-Policy"), "default-src 'self'") {
			t.Errorf("%s: no CSP", c.path)
		}
	}
	for _, p := range []string{"/", "/console"} {
		if r := e.req(http.MethodGet, p, "", nil); r.Code != http.StatusFound || r.Header.Get("Location") != "/console/" {
			t.Errorf("%s: %d → %q", p, r.Code, r.Header.Get("Location"))
		}
	}
}
