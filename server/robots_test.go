package server

import (
	"net/http"
	"strings"
	"testing"

	"kehou/models"
)

func TestRobotsAreScopedAndKeepTheirKeySecret(t *testing.T) {
	e := newEnv(t)
	r := e.req(http.MethodPost, "/api/v1/admin/robots", e.schA1, map[string]string{"kind": "dingtalk", "name": "教师群", "key": "tok-123", "secret": "SEC-abc"})
	e.expect(r, http.StatusCreated, "")
	if strings.Contains(string(r.Body), "tok-123") || strings.Contains(string(r.Body), "SEC-abc") {
		t.Fatalf("robot credentials echoed: %s", r.Body)
	}
	var robot models.Robot
	r.json(t, &robot)
	e.expect(e.req(http.MethodPost, "/api/v1/admin/robots", e.schA1, map[string]string{"kind": "wecom", "name": "群", "key": "k", "secret": "s"}), http.StatusUnprocessableEntity, "validation_failed")
	e.expect(e.req(http.MethodPost, "/api/v1/admin/robots", e.schA1, map[string]string{"kind": "wecom", "name": "群", "key": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x"}), http.StatusUnprocessableEntity, "validation_failed")

	otherSchool, _ := e.staffSession("school-b1", scopeB1(e))
	var list listBody[models.Robot]
	e.req(http.MethodGet, "/api/v1/admin/robots", otherSchool, nil).json(t, &list)
	if len(list.Items) != 0 {
		t.Fatalf("another school sees the robot: %+v", list.Items)
	}
	e.req(http.MethodGet, "/api/v1/admin/robots", e.cntyA, nil).json(t, &list)
	if len(list.Items) != 1 {
		t.Fatalf("the county sees its schools' robots: %+v", list.Items)
	}
	notice := map[string]any{"title": "t", "body": "b", "audience": map[string]any{"kind": "scope"}, "robots": []string{robot.ID}}
	if r := e.req(http.MethodPost, "/api/v1/admin/notices", otherSchool, notice); r.Code != http.StatusUnprocessableEntity || r.envelope(t).Fields["robots"] == "" {
		t.Fatalf("another school's robot must be refused: %d %s", r.Code, r.Body)
	}
	e.expect(e.req(http.MethodPost, "/api/v1/admin/notices", e.schA1, notice), http.StatusCreated, "")
	e.expect(e.req(http.MethodDelete, "/api/v1/admin/robots/"+robot.ID, otherSchool, nil), http.StatusNotFound, "not_found")
	e.expect(e.req(http.MethodDelete, "/api/v1/admin/robots/"+robot.ID, e.schA1, nil), http.StatusNoContent, "")
}
