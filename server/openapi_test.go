package server

import (
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"gopkg.in/yaml.v3"
)

// TestOpenAPIMatchesRoutes fails when a route is missing from openapi.yaml or the document
// names a route that does not exist.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(openAPI, &doc); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	e := newEnv(t)
	param := regexp.MustCompile(`:(\w+)`)
	served := map[string]bool{}
	for _, r := range e.srv.Echo().Routes() {
		if r.Method == echo.RouteNotFound || strings.HasSuffix(r.Path, "/*") {
			continue // echo's own not-found catch-alls for groups, and the console's files
		}
		if r.Path == "/" || r.Path == "/console" {
			continue // redirects to the staff console (console.go), not the API
		}
		served[r.Method+" "+param.ReplaceAllString(r.Path, "{$1}")] = true
	}
	var missing, extra []string
	for r := range served {
		if !documented[r] {
			missing = append(missing, r)
		}
	}
	for r := range documented {
		if !served[r] {
			extra = append(extra, r)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 || len(extra) > 0 {
		t.Fatalf("openapi.yaml out of step with routes.go\nnot documented: %v\ndocumented but not served: %v", missing, extra)
	}
	r := e.req(http.MethodGet, "/openapi.yaml", "", nil)
	if r.Code != http.StatusOK || !strings.HasPrefix(string(r.Body), "openapi:") {
		t.Fatalf("GET /openapi.yaml: %d", r.Code)
	}
}
