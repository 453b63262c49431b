package server

import (
	"context"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"
)

func TestBindChild(t *testing.T) {
	e := newEnv(t)
	e.importRoster(e.schoolA1.ID, goodRoster)
	mum, dad := e.parent("mum"), e.parent("dad")
	bindAs := func(token string, body map[string]string) resp {
		return e.req(http.MethodPost, "/api/v1/mp/children", token, body)
	}
	good := map[string]string{"school_id": e.schoolA1.ID, "student_no": "20260101", "name": "张小明", "relation": "mother"}

	tests := []struct {
		name string
		body map[string]string
	}{
		{"wrong name", map[string]string{"school_id": e.schoolA1.ID, "student_no": "20260101", "name": "张小红"}},
		{"unknown student number", map[string]string{"school_id": e.schoolA1.ID, "student_no": "99999999", "name": "张小明"}},
		{"other school", map[string]string{"school_id": e.schoolA2.ID, "student_no": "20260101", "name": "张小明"}},
		{"unknown school", map[string]string{"school_id": "nope", "student_no": "20260101", "name": "张小明"}},
	}
	var messages []string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := bindAs(mum, tt.body)
			e.expect(r, http.StatusUnprocessableEntity, "bind_mismatch")
			messages = append(messages, r.envelope(t).Message)
		})
	}
	for _, m := range messages {
		if m != messages[0] {
			t.Fatalf("a refusal must not say which part was wrong: %q vs %q", m, messages[0])
		}
	}

	r := bindAs(mum, good)
	e.expect(r, http.StatusCreated, "")
	var mine myChild
	r.json(t, &mine)
	if mine.Name != "张*明" || mine.SchoolName != "甲一小学" || mine.Grade != 3 {
		t.Fatalf("bound child: %+v", mine)
	}
	// Spaces are forgiven; a second guardian may bind the same child; binding twice is harmless.
	e.expect(bindAs(dad, map[string]string{"school_id": e.schoolA1.ID, "student_no": "20260101", "name": " 张 小明 "}), http.StatusCreated, "")
	again := bindAs(mum, good)
	var twice myChild
	again.json(t, &twice)
	if twice.ID != mine.ID {
		t.Fatal("binding again must return the existing binding")
	}

	var list listBody[myChild]
	raw := e.req(http.MethodGet, "/api/v1/mp/children", mum, nil)
	raw.json(t, &list)
	if len(list.Items) != 1 || strings.Contains(string(raw.Body), "张小明") {
		t.Fatalf("my children: %s", raw.Body)
	}

	// The school sees both guardians, masked, and removes dad's binding.
	var bindings listBody[schoolBinding]
	e.req(http.MethodGet, "/api/v1/admin/schools/"+e.schoolA1.ID+"/guardians", e.schA1, nil).json(t, &bindings)
	if len(bindings.Items) != 2 || bindings.Items[0].ChildName != "张*明" {
		t.Fatalf("school bindings: %+v", bindings.Items)
	}
	dadBinding := bindings.Items[1].ID
	// Another school's admin cannot remove it; a parent cannot remove another parent's.
	otherSchool, _ := e.staffSession("school-b1", scopeB1(e))
	e.expect(e.req(http.MethodDelete, "/api/v1/admin/guardians/"+dadBinding, otherSchool, nil), http.StatusNotFound, "not_found")
	e.expect(e.req(http.MethodDelete, "/api/v1/mp/children/"+dadBinding, mum, nil), http.StatusNotFound, "not_found")
	e.expect(e.req(http.MethodDelete, "/api/v1/admin/guardians/"+dadBinding, e.schA1, nil), http.StatusNoContent, "")
	var dads listBody[myChild]
	e.req(http.MethodGet, "/api/v1/mp/children", dad, nil).json(t, &dads)
	if len(dads.Items) != 0 {
		t.Fatalf("removed binding still listed: %+v", dads.Items)
	}
	// The parent unbinds their own.
	e.expect(e.req(http.MethodDelete, "/api/v1/mp/children/"+mine.ID, mum, nil), http.StatusNoContent, "")
}

func TestBindChildWithRequiredCode(t *testing.T) {
	e := newEnv(t)
	e.importRoster(e.schoolA1.ID, goodRoster)
	e.expect(e.req(http.MethodPatch, "/api/v1/admin/schools/"+e.schoolA1.ID, e.schA1, map[string]bool{"require_bind_code": true}), http.StatusOK, "")
	codes, _ := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(
		e.req(http.MethodGet, "/api/v1/admin/schools/"+e.schoolA1.ID+"/binding-codes", e.schA1, nil).Body), "\ufeff"))).ReadAll()
	code := codes[1][4]
	mum := e.parent("mum")
	bind := func(c string) resp {
		return e.req(http.MethodPost, "/api/v1/mp/children", mum, map[string]string{"school_id": e.schoolA1.ID, "student_no": codes[1][0], "name": codes[1][1], "bind_code": c})
	}
	e.expect(bind(""), http.StatusUnprocessableEntity, "bind_mismatch")
	e.expect(bind(codes[2][4]), http.StatusUnprocessableEntity, "bind_mismatch")
	e.expect(bind(strings.ToLower(code)), http.StatusCreated, "")
}

func TestBindAttemptsAreRateLimited(t *testing.T) {
	e := newEnv(t)
	e.importRoster(e.schoolA1.ID, goodRoster)
	mum := e.parent("mum")
	for i := 0; i < 10; i++ {
		e.req(http.MethodPost, "/api/v1/mp/children", mum, map[string]string{"school_id": e.schoolA1.ID, "student_no": "20260101", "name": "猜名字"})
	}
	r := e.req(http.MethodPost, "/api/v1/mp/children", mum, map[string]string{"school_id": e.schoolA1.ID, "student_no": "20260101", "name": "张小明"})
	e.expect(r, http.StatusTooManyRequests, "rate_limited")
	gs, err := e.st.GuardianshipsOfMember(context.Background(), e.memberID(mum))
	if err != nil || len(gs) != 0 {
		t.Fatalf("a rate-limited bind must not bind: %v %v", gs, err)
	}
}
