package wxfake

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// requestView is the JSON form of a recorded request served by GET /_fake/requests. A JSON body
// is embedded as is; any other body is given as text.
type requestView struct {
	Endpoint Endpoint        `json:"endpoint"`
	Method   string          `json:"method"`
	Path     string          `json:"path"`
	Query    url.Values      `json:"query"`
	Body     json.RawMessage `json:"body,omitempty"`
	BodyText string          `json:"body_text,omitempty"`
	Time     time.Time       `json:"time"`
}

// serveInspect answers GET /_fake/requests[?endpoint=name] with {"requests": [...]}, oldest
// first. Without endpoint it lists every endpoint's requests. It only reads.
func (s *Server) serveInspect(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	eps := allEndpoints
	if name := r.URL.Query().Get("endpoint"); name != "" {
		ep := Endpoint(name)
		if !slices.Contains(allEndpoints, ep) {
			w.WriteHeader(http.StatusBadRequest)
			writeJSON(w, map[string]any{"error": "unknown endpoint", "endpoints": allEndpoints})
			return
		}
		eps = []Endpoint{ep}
	}
	var reqs []Request
	for _, ep := range eps {
		reqs = append(reqs, s.Requests(ep)...)
	}
	slices.SortStableFunc(reqs, func(a, b Request) int { return a.Time.Compare(b.Time) })
	views := make([]requestView, 0, len(reqs))
	for _, rq := range reqs {
		v := requestView{Endpoint: rq.Endpoint, Method: rq.Method, Path: rq.Path, Query: rq.Query, Time: rq.Time}
		if len(rq.Body) > 0 {
			if json.Valid(rq.Body) {
				v.Body = rq.Body
			} else {
				v.BodyText = string(rq.Body)
			}
		}
		views = append(views, v)
	}
	writeJSON(w, map[string]any{"requests": views})
}
