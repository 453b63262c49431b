package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
)

// scenario is one kind of traffic. setup runs once before the clock starts and is not measured;
// iterate is one round of a virtual user, with n unique across the run.
type scenario interface {
	setup(ctx context.Context, c *client, runID string) error
	endpoints() []string
	about() string // what the run used, for the report's title
	iterate(c *client, n int64, rec *recorder)
}

// Endpoint names as the report shows them (the route, not the URL).
const (
	epMPLogin      = "POST /api/v1/mp/login"
	epBind         = "POST /api/v1/mp/children"
	epMyChildren   = "GET /api/v1/mp/children"
	epAdminSchools = "GET /api/v1/admin/schools"
	epAdminKids    = "GET /api/v1/admin/schools/:id/children"
)

// iterations use a background context: a request that started before the deadline or an
// interrupt finishes (within -timeout) and is counted, rather than showing up as an error.
var bg = context.Background()

// mpLogin logs in with a sandbox code and returns the session token ("" on failure).
func mpLogin(c *client, code string, rec *recorder) string {
	r := c.do(bg, call{method: http.MethodPost, path: "/api/v1/mp/login", body: map[string]string{"code": code}})
	rec.add(epMPLogin, r)
	if r.status != http.StatusOK {
		return ""
	}
	var s session
	if err := json.Unmarshal(r.body, &s); err != nil || s.Token == "" {
		rec.fail(epMPLogin, "login answer without a token: "+snippet(r.body))
		return ""
	}
	return s.Token
}

// loginScenario: every iteration is the first login of a new mini-program user.
type loginScenario struct {
	prefix string
	runID  string
}

func (s *loginScenario) setup(_ context.Context, _ *client, runID string) error {
	s.runID = runID
	return nil
}

func (s *loginScenario) about() string {
	return fmt.Sprintf("codes=dev:%s-%s-<n>", s.prefix, s.runID)
}

func (s *loginScenario) endpoints() []string { return []string{epMPLogin} }

func (s *loginScenario) iterate(c *client, n int64, rec *recorder) {
	mpLogin(c, fmt.Sprintf("dev:%s-%s-%d", s.prefix, s.runID, n), rec)
}

// bindScenario: every iteration is a new parent who logs in, binds the demo child with an
// Idempotency-Key and lists their children. A new parent per iteration is deliberate: the
// server allows one member only 10 binding attempts a minute, so one parent binding in a loop
// would measure that limit rather than the binding path.
type bindScenario struct {
	prefix, school, studentNo, childName string
	runID                                string
	schoolID                             string
}

func (s *bindScenario) setup(ctx context.Context, c *client, runID string) error {
	s.runID = runID
	var sess session
	login := call{method: http.MethodPost, path: "/api/v1/mp/login", body: map[string]string{"code": "dev:" + s.prefix + "-" + runID + "-setup"}}
	if err := c.expect(ctx, login, http.StatusOK, &sess); err != nil {
		return err
	}
	schools, err := listAll(ctx, c, "/api/v1/mp/schools", sess.Token)
	if err != nil {
		return err
	}
	for _, sc := range schools {
		if sc.Name == s.school {
			s.schoolID = sc.ID
		}
	}
	if s.schoolID == "" {
		return fmt.Errorf("no school named %q among %d: is the demo city seeded (sandbox mode, KEHOU_SEED=true)?", s.school, len(schools))
	}
	return s.pickChild(ctx, c, sess.Token)
}

// demoChildNames are tried in turn when -child-name is not given: the name the demo seed gives
// pupil 2026010101 of 东湖区实验小学, then the name earlier versions of the seed gave the same
// pupil, so that data directories seeded by those still work.
var demoChildNames = []string{"张小明", "王欣怡"}

// pickChild binds once, unmeasured, to find a child name the server accepts, so that the run
// does not measure 422s.
func (s *bindScenario) pickChild(ctx context.Context, c *client, token string) error {
	names := demoChildNames
	if s.childName != "" {
		names = []string{s.childName}
	}
	var errs []error
	for i, name := range names {
		k := call{method: http.MethodPost, path: "/api/v1/mp/children", token: token,
			headers: map[string]string{"Idempotency-Key": fmt.Sprintf("loadgen-%s-setup-%d", s.runID, i)},
			body:    map[string]string{"school_id": s.schoolID, "student_no": s.studentNo, "name": name}}
		err := c.expect(ctx, k, http.StatusCreated, nil)
		if err == nil {
			s.childName = name
			return nil
		}
		errs = append(errs, fmt.Errorf("child %s %s: %w", s.studentNo, name, err))
	}
	return fmt.Errorf("no child to bind (set -student-no and -child-name): %w", errors.Join(errs...))
}

func (s *bindScenario) about() string {
	return fmt.Sprintf("school=%s student=%s child=%s", s.school, s.studentNo, s.childName)
}

func (s *bindScenario) endpoints() []string { return []string{epMPLogin, epBind, epMyChildren} }

func (s *bindScenario) iterate(c *client, n int64, rec *recorder) {
	token := mpLogin(c, fmt.Sprintf("dev:%s-%s-parent-%d", s.prefix, s.runID, n), rec)
	if token == "" {
		return
	}
	r := c.do(bg, call{method: http.MethodPost, path: "/api/v1/mp/children", token: token,
		headers: map[string]string{"Idempotency-Key": "loadgen-" + s.runID + "-" + strconv.FormatInt(n, 10)},
		body:    map[string]string{"school_id": s.schoolID, "student_no": s.studentNo, "name": s.childName}})
	rec.add(epBind, r)
	if r.status != http.StatusCreated {
		return
	}
	r = c.do(bg, call{method: http.MethodGet, path: "/api/v1/mp/children", token: token})
	rec.add(epMyChildren, r)
	if r.status == http.StatusOK {
		var pg page[idName]
		if err := json.Unmarshal(r.body, &pg); err != nil || len(pg.Items) != 1 {
			rec.fail(epMyChildren, "want exactly the bound child, got: "+snippet(r.body))
		}
	}
}

// adminScenario: staff reading the school list and a school's roster, under one session.
type adminScenario struct {
	user, password string
	token          string
	schoolIDs      []string
}

func (s *adminScenario) setup(ctx context.Context, c *client, _ string) error {
	var sess session
	login := call{method: http.MethodPost, path: "/api/v1/admin/login", body: map[string]string{"username": s.user, "password": s.password}}
	if err := c.expect(ctx, login, http.StatusOK, &sess); err != nil {
		return err
	}
	s.token = sess.Token
	schools, err := listAll(ctx, c, "/api/v1/admin/schools", s.token)
	if err != nil {
		return err
	}
	for _, sc := range schools {
		s.schoolIDs = append(s.schoolIDs, sc.ID)
	}
	if len(s.schoolIDs) == 0 {
		return fmt.Errorf("%s sees no schools: is the demo city seeded?", s.user)
	}
	return nil
}

func (s *adminScenario) about() string {
	return fmt.Sprintf("user=%s schools=%d", s.user, len(s.schoolIDs))
}

func (s *adminScenario) endpoints() []string { return []string{epAdminSchools, epAdminKids} }

func (s *adminScenario) iterate(c *client, n int64, rec *recorder) {
	rec.add(epAdminSchools, c.do(bg, call{method: http.MethodGet, path: "/api/v1/admin/schools", token: s.token}))
	id := s.schoolIDs[int(n%int64(len(s.schoolIDs)))]
	rec.add(epAdminKids, c.do(bg, call{method: http.MethodGet, path: "/api/v1/admin/schools/" + id + "/children", token: s.token}))
}
