package server

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"kehou/models"
	"kehou/wechat/wxfake"
)

func TestMPLogin(t *testing.T) {
	e := newEnv(t)
	login := func(code string) resp {
		return e.req(http.MethodPost, "/api/v1/mp/login", "", map[string]string{"code": code})
	}
	first, second := login("dev:alice"), login("dev:alice")
	e.expect(first, http.StatusOK, "")
	var a, b mpLoginBody
	first.json(t, &a)
	second.json(t, &b)
	if a.Member.ID == "" || a.Member.ID != b.Member.ID {
		t.Fatalf("same WeChat user must be one member: %q vs %q", a.Member.ID, b.Member.ID)
	}
	if a.Token == "" || a.Token == b.Token || !a.ExpiresAt.After(e.now) {
		t.Fatalf("each login needs its own live token: %+v %+v", a, b)
	}
	if strings.Contains(string(first.Body), "session_key") || strings.Contains(string(first.Body), "openid") {
		t.Fatalf("login answer leaks WeChat identifiers: %s", first.Body)
	}
	if other := login("dev:bob"); other.Code != http.StatusOK || strings.Contains(string(other.Body), a.Member.ID) {
		t.Fatalf("another user must be another member: %s", other.Body)
	}

	tests := []struct {
		name   string
		code   string
		fail   int
		status int
		err    string
	}{
		{"invalid code", "not-a-dev-code", 0, http.StatusUnauthorized, "invalid_code"},
		{"empty code", "", 0, http.StatusUnprocessableEntity, "validation_failed"},
		{"wechat busy", "dev:carol", -1, http.StatusServiceUnavailable, "wechat_unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.fail != 0 {
				e.fake.FailNext(wxfake.EpCode2Session, tt.fail, 1)
			}
			e.expect(login(tt.code), tt.status, tt.err)
		})
	}
}

func TestMemberTokenExpiryAndLogout(t *testing.T) {
	e := newEnv(t)
	token := e.parent("alice")
	e.expect(e.req(http.MethodGet, "/api/v1/mp/me", token, nil), http.StatusOK, "")
	e.expect(e.req(http.MethodGet, "/api/v1/mp/me", "", nil), http.StatusUnauthorized, "unauthenticated")
	e.expect(e.req(http.MethodGet, "/api/v1/mp/me", "garbage", nil), http.StatusUnauthorized, "unauthenticated")
	// A staff token is not a member token.
	e.expect(e.req(http.MethodGet, "/api/v1/mp/me", e.city, nil), http.StatusUnauthorized, "unauthenticated")

	e.now = e.now.Add(e.cfg.MemberSessionTTL + time.Second)
	e.expect(e.req(http.MethodGet, "/api/v1/mp/me", token, nil), http.StatusUnauthorized, "unauthenticated")

	token = e.parent("alice")
	e.expect(e.req(http.MethodPost, "/api/v1/mp/logout", token, nil), http.StatusNoContent, "")
	e.expect(e.req(http.MethodGet, "/api/v1/mp/me", token, nil), http.StatusUnauthorized, "unauthenticated")
}

// staffWithPassword creates a real, loginable account.
func (e *env) staffWithPassword(username, password string) models.Staff {
	e.t.Helper()
	hash, err := models.HashPassword(password)
	if err != nil {
		e.t.Fatal(err)
	}
	st := models.Staff{Username: username, Name: "测试", PasswordHash: hash, Role: models.RoleSchool, CountyID: e.countyA.ID, SchoolID: e.schoolA1.ID}
	if err := e.st.CreateStaff(context.Background(), &st); err != nil {
		e.t.Fatal(err)
	}
	return st
}

func TestStaffLogin(t *testing.T) {
	e := newEnv(t)
	e.staffWithPassword("teacher", "correct horse battery")
	login := func(user, pw string) resp {
		return e.req(http.MethodPost, "/api/v1/admin/login", "", map[string]string{"username": user, "password": pw})
	}
	r := login("teacher", "correct horse battery")
	e.expect(r, http.StatusOK, "")
	var body adminLoginBody
	r.json(t, &body)
	if body.Staff.Role != models.RoleSchool || body.Staff.SchoolID != e.schoolA1.ID || strings.Contains(string(r.Body), "argon2") {
		t.Fatalf("login answer: %s", r.Body)
	}
	e.expect(e.req(http.MethodGet, "/api/v1/admin/me", body.Token, nil), http.StatusOK, "")

	wrongPw, noUser := login("teacher", "wrong password!"), login("nobody", "wrong password!")
	e.expect(wrongPw, http.StatusUnauthorized, "bad_credentials")
	e.expect(noUser, http.StatusUnauthorized, "bad_credentials")
	if wrongPw.envelope(t).Message != noUser.envelope(t).Message {
		t.Fatal("a wrong username and a wrong password must look the same")
	}

	e.expect(e.req(http.MethodPost, "/api/v1/admin/logout", body.Token, nil), http.StatusNoContent, "")
	e.expect(e.req(http.MethodGet, "/api/v1/admin/me", body.Token, nil), http.StatusUnauthorized, "unauthenticated")
}

func TestStaffLockout(t *testing.T) {
	e := newEnv(t)
	e.staffWithPassword("teacher", "correct horse battery")
	login := func(pw string) resp {
		return e.req(http.MethodPost, "/api/v1/admin/login", "", map[string]string{"username": "teacher", "password": pw})
	}
	// The first failure is counted; a success in between resets the count.
	e.expect(login("wrong password!"), http.StatusUnauthorized, "bad_credentials")
	e.expect(login("correct horse battery"), http.StatusOK, "")
	for i := 1; i < e.cfg.LoginMaxFailures; i++ {
		e.expect(login("wrong password!"), http.StatusUnauthorized, "bad_credentials")
	}
	r := login("wrong password!")
	e.expect(r, http.StatusLocked, "account_locked")
	if ra := r.Header.Get("Retry-After"); ra != "900" {
		t.Fatalf("Retry-After = %q, want the lockout of 900 s", ra)
	}
	// Locked means locked, even with the right password.
	e.expect(login("correct horse battery"), http.StatusLocked, "account_locked")
	e.now = e.now.Add(e.cfg.LoginLockout + time.Second)
	e.expect(login("correct horse battery"), http.StatusOK, "")

	var audit listBody[models.AuditEntry]
	e.req(http.MethodGet, "/api/v1/admin/audit", e.city, nil).json(t, &audit)
	var actions []string
	for _, a := range audit.Items {
		actions = append(actions, a.Action)
	}
	if !strings.Contains(strings.Join(actions, ","), "auth.locked") {
		t.Fatalf("lockout not audited: %v", actions)
	}
}

func TestLoginRateLimitPerIP(t *testing.T) {
	e := newEnv(t)
	e.cfg.RateLoginPerMin = 3
	e.rebuild()
	e.staffWithPassword("teacher", "correct horse battery")
	login := func(user string) resp {
		return e.req(http.MethodPost, "/api/v1/admin/login", "", map[string]string{"username": user, "password": "guess guess guess"})
	}
	for _, user := range []string{"a", "b", "c"} { // guessing across accounts
		e.expect(login(user), http.StatusUnauthorized, "bad_credentials")
	}
	r := login("teacher")
	e.expect(r, http.StatusTooManyRequests, "rate_limited")
	if r.Header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	// The rate-limited attempt was not counted against the account.
	if st, _ := e.st.StaffByUsername(context.Background(), "teacher"); st.FailedLogins != 0 {
		t.Fatalf("failed logins = %d", st.FailedLogins)
	}
	// Another address is not affected, and parents' logins are not staff logins.
	e.expect(e.req(http.MethodPost, "/api/v1/mp/login", "", map[string]string{"code": "dev:alice"}), http.StatusOK, "")
	e.ip = "192.0.2.99"
	e.expect(login("teacher"), http.StatusUnauthorized, "bad_credentials")
}
