package server

import (
	"net/http"
	"slices"
	"testing"

	"gopkg.in/yaml.v3"

	"kehou/models"
)

// GET /api/v1/meta/labels answers every enum's labels to anyone, cacheable, with a strong ETag
// and 304 on a match, and counts against the per-IP limit.
func TestMetaLabels(t *testing.T) {
	e := newEnv(t)
	e.cfg.RateIPPerMinute = 4
	e.rebuild()
	e.ip = "192.0.2.91"
	r := e.req(http.MethodGet, "/api/v1/meta/labels", "", nil)
	e.expect(r, http.StatusOK, "")
	if cc := r.Header.Get("Cache-Control"); cc != "public, max-age=3600" {
		t.Errorf("Cache-Control %q", cc)
	}
	etag := r.Header.Get("ETag")
	if len(etag) < 10 || etag[0] != '"' || etag[len(etag)-1] != '"' {
		t.Fatalf("ETag %q is not a strong entity tag", etag)
	}
	var got map[string]map[string]string
	r.json(t, &got)
	enums := models.Enums()
	if len(got) != len(enums) {
		t.Errorf("%d enums served, %d registered", len(got), len(enums))
	}
	for _, en := range enums {
		for _, l := range en.Labels {
			if got[en.Name][l.Code] != l.Text {
				t.Errorf("%s.%s = %q, want %q", en.Name, l.Code, got[en.Name][l.Code], l.Text)
			}
		}
	}
	if got["notice_kind"]["open_day"] != "家长开放日" || got["complaint_status"]["dismissed"] != "不予受理" {
		t.Errorf("labels: %v %v", got["notice_kind"], got["complaint_status"])
	}

	// Revalidation: the same tag (also in a list, or weak) is 304 with no body; another is 200.
	for _, inm := range []string{etag, `"x", ` + etag, "W/" + etag} {
		r = e.req(http.MethodGet, "/api/v1/meta/labels", "", nil, "If-None-Match", inm)
		if r.Code != http.StatusNotModified || len(r.Body) != 0 || r.Header.Get("ETag") != etag {
			t.Errorf("If-None-Match %s: %d %q etag %q", inm, r.Code, r.Body, r.Header.Get("ETag"))
		}
	}
	// The 5th request from this address this minute is over the limit of 4.
	e.expect(e.req(http.MethodGet, "/api/v1/meta/labels", "", nil, "If-None-Match", `"other"`), http.StatusTooManyRequests, "rate_limited")
	e.ip = "192.0.2.92"
	r = e.req(http.MethodGet, "/api/v1/meta/labels", "", nil, "If-None-Match", `"other"`)
	e.expect(r, http.StatusOK, "")
	if r.Header.Get("ETag") != etag {
		t.Errorf("ETag changed between requests: %q then %q", etag, r.Header.Get("ETag"))
	}
}

// TestOpenAPIListsEveryEnum: openapi.yaml has one schema per enum with exactly its codes, in
// order, so the document cannot drift from the labels.
func TestOpenAPIListsEveryEnum(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Type       string         `yaml:"type"`
				Enum       []string       `yaml:"enum"`
				Required   []string       `yaml:"required"`
				Properties map[string]any `yaml:"properties"`
			} `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	for _, en := range models.Enums() {
		s, ok := doc.Components.Schemas[en.Schema]
		if !ok {
			t.Errorf("openapi.yaml: no schema %s for enum %s", en.Schema, en.Name)
			continue
		}
		if s.Type != "string" || !slices.Equal(s.Enum, en.Codes()) {
			t.Errorf("openapi.yaml %s: %s %v, want string %v", en.Schema, s.Type, s.Enum, en.Codes())
		}
	}
	labels := doc.Components.Schemas["Labels"]
	if len(labels.Properties) != len(models.Enums()) || len(labels.Required) != len(models.Enums()) {
		t.Errorf("openapi.yaml Labels: %d properties, %d required, want %d", len(labels.Properties), len(labels.Required), len(models.Enums()))
	}
	for _, en := range models.Enums() {
		if labels.Properties[en.Name] == nil || !slices.Contains(labels.Required, en.Name) {
			t.Errorf("openapi.yaml Labels lacks %s", en.Name)
		}
	}
}
