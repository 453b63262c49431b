package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"kehou/models"
)

// TestPublishAnswersTheSameShape: publishing an event and publishing a summer-care programme
// both answer the published resource as its GET does, with notice_id when announced by notice
// and without it when published silently.
func TestPublishAnswersTheSameShape(t *testing.T) {
	e := newEnv(t)
	day := func(d int) string { return e.now.AddDate(0, 0, d).In(models.Shanghai).Format("2006-01-02") }
	newEvent := func() string {
		start := e.now.Add(72 * time.Hour)
		r := e.req(http.MethodPost, "/api/v1/admin/events", e.schA1, map[string]any{"title": "家长开放日", "place": "学校礼堂",
			"audience": map[string]any{"kind": "grades", "grades": []int{3}}, "signup_closes": e.now.Add(48 * time.Hour),
			"cancel_deadline": e.now.Add(60 * time.Hour), "sessions": []map[string]any{{"label": "上午场", "starts_at": start,
				"ends_at": start.Add(2 * time.Hour), "capacity": 20, "max_companions": 1}}})
		e.expect(r, http.StatusCreated, "")
		var ev models.Event
		r.json(t, &ev)
		return "/api/v1/admin/events/" + ev.ID
	}
	newProgramme := func() string {
		r := e.req(http.MethodPost, "/api/v1/admin/programmes", e.schA1, map[string]any{"title": "暑期托管", "daily_start": "08:30",
			"daily_end": "17:00", "offerings": []string{"homework"}, "enrol_closes": e.now.Add(48 * time.Hour),
			"periods": []map[string]any{{"label": "第一周", "start_date": day(7), "end_date": day(11), "capacity": 10}}})
		e.expect(r, http.StatusCreated, "")
		var p models.Programme
		r.json(t, &p)
		return "/api/v1/admin/programmes/" + p.ID
	}
	publish := func(path string, channels []string) map[string]any {
		t.Helper()
		r := e.req(http.MethodPost, path+"/publish", e.schA1, map[string]any{"channels": channels})
		e.expect(r, http.StatusOK, "")
		got := e.req(http.MethodGet, path, e.schA1, nil)
		e.expect(got, http.StatusOK, "")
		if !bytes.Equal(r.Body, got.Body) {
			t.Errorf("POST %s/publish answered\n%s\nbut GET answers\n%s", path, r.Body, got.Body)
		}
		var m map[string]any
		if err := json.Unmarshal(r.Body, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	for _, announced := range []bool{true, false} {
		var channels []string
		if announced {
			channels = []string{models.ChannelSubscribe}
		}
		ev, pr := publish(newEvent(), channels), publish(newProgramme(), channels)
		for name, m := range map[string]map[string]any{"event": ev, "programme": pr} {
			id, has := m["notice_id"].(string)
			if has != announced || (announced && id == "") {
				t.Errorf("%s published (announced %v): notice_id %v", name, announced, m["notice_id"])
			}
			if m["status"] != models.EventPublished || m["counts"] == nil {
				t.Errorf("%s published: status %v counts %v", name, m["status"], m["counts"])
			}
		}
		if announced {
			var n models.Notice
			e.req(http.MethodGet, "/api/v1/admin/notices/"+pr["notice_id"].(string), e.schA1, nil).json(t, &n)
			if n.Kind != models.NoticeSummerCare {
				t.Errorf("the programme's notice_id names %+v", n)
			}
		}
		for _, k := range []string{"id", "status", "notice_id", "counts", "title", "sender", "created_at", "updated_at"} {
			_, inEv := ev[k]
			_, inPr := pr[k]
			if inEv != inPr {
				t.Errorf("key %s: in the event's answer %v, in the programme's %v", k, inEv, inPr)
			}
		}
	}
}
