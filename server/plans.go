package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"kehou/models"
	"kehou/store"
)

// termParam reads the route's :term, else ?term= (default: the current term).
func (s *Server) termParam(c echo.Context) (string, error) {
	term := c.Param("term")
	if term == "" {
		term = c.QueryParam("term")
	}
	if term == "" {
		return models.TermOf(s.now()), nil
	}
	if !models.ValidTerm(term) {
		return "", models.FieldErrors{"term": "学期应如 2026-autumn 或 2027-spring"}
	}
	return term, nil
}

// planView is a school's plan with its compliance (plan null when the school has none).
type planView struct {
	School     models.School     `json:"school"`
	Plan       *models.Plan      `json:"plan"`
	Compliance models.Compliance `json:"compliance"`
}

// compliance computes the compliance of each school's plan, reading the institutions once.
func (s *Server) compliance(ctx context.Context, schools []models.School, plans map[string]models.Plan) ([]planView, error) {
	var ids []string
	for _, p := range plans {
		for _, it := range p.Items {
			if it.InstitutionID != "" && !slices.Contains(ids, it.InstitutionID) {
				ids = append(ids, it.InstitutionID)
			}
		}
	}
	insts, err := s.store.InstitutionsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]planView, 0, len(schools))
	for _, sc := range schools {
		v := planView{School: sc}
		if p, ok := plans[sc.ID]; ok {
			v.Plan = &p
		}
		v.Compliance = models.Check(v.Plan, insts)
		out = append(out, v)
	}
	return out, nil
}

// getPlan shows a school's plan for a term with its compliance.
func (s *Server) getPlan(c echo.Context) error {
	ctx := c.Request().Context()
	sc, err := s.store.SchoolInScope(ctx, scopeOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	term, err := s.termParam(c)
	if err != nil {
		return err
	}
	plans := map[string]models.Plan{}
	if p, err := s.store.Plan(ctx, sc.ID, term); err == nil {
		plans[sc.ID] = p
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	views, err := s.compliance(ctx, []models.School{sc}, plans)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, views[0])
}

type planForm struct {
	Days    []models.ServiceDay `json:"days"`
	Items   []models.PlanItem   `json:"items"`
	FeeNote string              `json:"fee_note"`
}

func (f *planForm) validate() error { return nil } // checked on the plan

// savePlan writes a school's plan for a term (its own staff, or county and city staff within
// scope). Items run by an institution must name an approved one from the registry.
func (s *Server) savePlan(c echo.Context) error {
	ctx := c.Request().Context()
	sc, err := s.store.SchoolInScope(ctx, scopeOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	var f planForm
	if err := bind(c, &f); err != nil {
		return err
	}
	p := models.Plan{SchoolID: sc.ID, CountyID: sc.CountyID, Term: c.Param("term"), Days: f.Days, Items: f.Items,
		FeeNote: strings.TrimSpace(f.FeeNote), UpdatedBy: staffOf(c).ID}
	if p.Days == nil {
		p.Days = []models.ServiceDay{}
	}
	if p.Items == nil {
		p.Items = []models.PlanItem{}
	}
	fe := models.FieldErrors{}
	if err := p.Validate(); err != nil {
		fe = err.(models.FieldErrors)
	}
	for i, it := range p.Items {
		if it.Provider != models.ProviderInstitution || it.InstitutionID == "" {
			continue
		}
		in, err := s.store.Institution(ctx, it.InstitutionID)
		switch {
		case errors.Is(err, store.ErrNotFound) || (err == nil && in.CountyID != "" && in.CountyID != sc.CountyID):
			fe.Add(fmt.Sprintf("items[%d].institution_id", i), "名录中没有该机构")
		case err != nil:
			return err
		case in.Status != models.InstitutionApproved:
			fe.Add(fmt.Sprintf("items[%d].institution_id", i), "该机构未准入或已暂停，不能承办服务")
		}
	}
	if err := fe.Err(); err != nil {
		return err
	}
	if err := s.store.SavePlan(ctx, &p); err != nil {
		return err
	}
	s.audit(c, "plan.save", p.ID, sc.CountyID, sc.ID, p.Term)
	return s.getPlan(c)
}

// levelFigures are the compliance counts of a county or the city.
type levelFigures struct {
	ID                  string  `json:"id,omitempty"`
	Name                string  `json:"name"`
	Schools             int     `json:"schools"`
	WithPlan            int     `json:"with_plan"`
	FivePlusTwo         int     `json:"five_plus_two"`
	FivePlusTwoRate     float64 `json:"five_plus_two_rate"`
	TwoPlusN            int     `json:"two_plus_n"`
	TwoPlusNRate        float64 `json:"two_plus_n_rate"`
	Urban               int     `json:"urban_schools"`
	UrbanTwoPlusThree   int     `json:"urban_two_plus_three"`
	UrbanTwoPlusThreeRt float64 `json:"urban_two_plus_three_rate"`
	MeetsTarget         bool    `json:"meets_target"` // all schools 5+2 and 2+N, and ≥ 80% of urban schools 2+3
}

// City targets of the plan (every school 5+2 and 2+N; at least 80% of urban schools 2+3). A
// school counts as 2+N or 2+3 only when it is 5+2 too (models.Check).
const (
	targetFivePlusTwo       = 1.0
	targetTwoPlusN          = 1.0
	targetUrbanTwoPlusThree = 0.8
)

func (l *levelFigures) add(v planView) {
	l.Schools++
	c := v.Compliance
	if c.HasPlan {
		l.WithPlan++
	}
	if c.FivePlusTwo {
		l.FivePlusTwo++
	}
	if c.TwoPlusN {
		l.TwoPlusN++
	}
	if v.School.Location == models.LocationUrban {
		l.Urban++
		if c.TwoPlusThree {
			l.UrbanTwoPlusThree++
		}
	}
}

func (l *levelFigures) finish() {
	rate := func(n, d int) float64 {
		if d == 0 {
			return 0
		}
		return float64(n*1000/d) / 1000
	}
	l.FivePlusTwoRate, l.TwoPlusNRate, l.UrbanTwoPlusThreeRt = rate(l.FivePlusTwo, l.Schools), rate(l.TwoPlusN, l.Schools), rate(l.UrbanTwoPlusThree, l.Urban)
	l.MeetsTarget = l.Schools > 0 && l.FivePlusTwoRate >= targetFivePlusTwo && l.TwoPlusNRate >= targetTwoPlusN &&
		(l.Urban == 0 || l.UrbanTwoPlusThreeRt >= targetUrbanTwoPlusThree)
}

// shortSchool is a school that falls short, and why.
type shortSchool struct {
	SchoolID string   `json:"school_id"`
	Name     string   `json:"name"`
	CountyID string   `json:"county_id"`
	Location string   `json:"location"`
	Reasons  []string `json:"reasons"`
}

// complianceReport is the bureau's view: figures per county and for the whole scope, the
// targets beside them, and the schools that fall short with the reasons.
type complianceReport struct {
	Term     string             `json:"term"`
	Targets  map[string]float64 `json:"targets"`
	Total    levelFigures       `json:"total"`
	Counties []levelFigures     `json:"counties"`
	Short    []shortSchool      `json:"short"`
	Schools  []planView         `json:"schools"`
	// With ?limit= the schools come a page at a time (the figures still cover the whole scope).
	NextCursor string `json:"next_cursor,omitempty"`
}

// schoolsPage cuts the report's school list to what the console shows: names containing q,
// only the schools that fall short, and a page of them (the cursor is the offset into the
// filtered list). Without a limit every school is listed, as before.
func schoolsPage(views []planView, q string, shortOnly bool, pg store.Page) ([]planView, string, error) {
	out := make([]planView, 0, len(views))
	for _, v := range views {
		if q != "" && !strings.Contains(v.School.Name, q) {
			continue
		}
		if shortOnly && !v.short() {
			continue
		}
		out = append(out, v)
	}
	if pg.Limit == 0 {
		return out, "", nil
	}
	from := 0
	if pg.Cursor != "" {
		n, err := strconv.Atoi(pg.Cursor)
		if err != nil || n < 0 {
			return nil, "", models.FieldErrors{"cursor": models.MsgInvalid}
		}
		from = min(n, len(out))
	}
	to := min(from+pg.Limit, len(out))
	next := ""
	if to < len(out) {
		next = strconv.Itoa(to)
	}
	return out[from:to], next, nil
}

// short reports whether a school falls short of the targets that apply to it.
func (v planView) short() bool {
	cp := v.Compliance
	return !cp.FivePlusTwo || !cp.TwoPlusN || (v.School.Location == models.LocationUrban && !cp.TwoPlusThree)
}

// planCompliance reports the term's plan compliance within scope.
func (s *Server) planCompliance(c echo.Context) error {
	ctx := c.Request().Context()
	term, err := s.termParam(c)
	if err != nil {
		return err
	}
	pg, err := pageParams(c)
	if err != nil {
		return err
	}
	scope := scopeOf(c)
	schools, err := s.store.SchoolsInScope(ctx, scope)
	if err != nil {
		return err
	}
	plans, err := s.store.PlansOfTerm(ctx, scope, term)
	if err != nil {
		return err
	}
	views, err := s.compliance(ctx, schools, plans)
	if err != nil {
		return err
	}
	r := complianceReport{Term: term, Targets: map[string]float64{"five_plus_two_rate": targetFivePlusTwo,
		"two_plus_n_rate": targetTwoPlusN, "urban_two_plus_three_rate": targetUrbanTwoPlusThree},
		Counties: []levelFigures{}, Short: []shortSchool{}, Schools: views}
	r.Total.Name = "合计"
	names, err := s.placeNames(ctx, scope)
	if err != nil {
		return err
	}
	byCounty := map[string]*levelFigures{}
	var order []string
	for _, v := range views {
		r.Total.add(v)
		lf := byCounty[v.School.CountyID]
		if lf == nil {
			lf = &levelFigures{ID: v.School.CountyID, Name: names[v.School.CountyID]}
			byCounty[v.School.CountyID] = lf
			order = append(order, v.School.CountyID)
		}
		lf.add(v)
		if v.short() {
			r.Short = append(r.Short, shortSchool{SchoolID: v.School.ID, Name: v.School.Name, CountyID: v.School.CountyID,
				Location: v.School.Location, Reasons: v.Compliance.Reasons})
		}
	}
	r.Total.finish()
	for _, id := range order {
		byCounty[id].finish()
		r.Counties = append(r.Counties, *byCounty[id])
	}
	if r.Schools, r.NextCursor, err = schoolsPage(views, strings.TrimSpace(c.QueryParam("q")), c.QueryParam("short") == "true", pg); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

type institutionForm struct {
	Name       *string  `json:"name"`
	Licence    *string  `json:"licence"`
	Categories []string `json:"categories"`
	Status     *string  `json:"status"`
	Notes      *string  `json:"notes"`
}

func (f *institutionForm) validate() error { return nil } // checked on the institution

func (f *institutionForm) apply(in *models.Institution) {
	for dst, v := range map[*string]*string{&in.Name: f.Name, &in.Licence: f.Licence, &in.Status: f.Status, &in.Notes: f.Notes} {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	if f.Categories != nil {
		in.Categories = f.Categories
	}
}

func (s *Server) listInstitutions(c echo.Context) error {
	list, err := s.store.Institutions(c.Request().Context(), scopeOf(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listBody[models.Institution]{Items: list})
}

// createInstitution registers an institution in the caller's county (or the city's registry).
func (s *Server) createInstitution(c echo.Context) error {
	scope := scopeOf(c)
	if !scope.CanManageSchools() {
		return errForbidden
	}
	var f institutionForm
	if err := bind(c, &f); err != nil {
		return err
	}
	in := models.Institution{CountyID: scope.CountyID, Status: models.InstitutionApproved}
	f.apply(&in)
	if err := in.Validate(); err != nil {
		return err
	}
	if err := s.store.CreateInstitution(c.Request().Context(), &in); err != nil {
		return err
	}
	s.audit(c, "institution.create", in.ID, in.CountyID, "", in.Name)
	return c.JSON(http.StatusCreated, in)
}

// institutionUpdate is an institution with the plans its change affects.
type institutionUpdate struct {
	models.Institution
	// Plans with an item the institution runs: when it is no longer approved, these are
	// flagged (their items stop counting toward compliance).
	AffectedPlans []string `json:"affected_plans"`
}

// updateInstitution changes an entry the caller keeps (a county its own, the city any);
// suspending or removing one flags every plan that uses it.
func (s *Server) updateInstitution(c echo.Context) error {
	ctx := c.Request().Context()
	scope := scopeOf(c)
	if !scope.CanManageSchools() {
		return errForbidden
	}
	in, err := s.store.Institution(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	if scope.Role != models.RoleCity && in.CountyID != scope.CountyID {
		if in.CountyID == "" {
			return newAPIError(http.StatusForbidden, "forbidden", "市级名录中的机构由市教育局维护")
		}
		return errNotFound
	}
	var f institutionForm
	if err := bind(c, &f); err != nil {
		return err
	}
	was := in.Status
	f.apply(&in)
	if err := in.Validate(); err != nil {
		return err
	}
	if err := s.store.UpdateInstitution(ctx, &in); err != nil {
		return err
	}
	s.audit(c, "institution.update", in.ID, in.CountyID, "", was+"→"+in.Status)
	plans, err := s.store.PlansUsing(ctx, in.ID)
	if err != nil {
		return err
	}
	out := institutionUpdate{Institution: in, AffectedPlans: []string{}}
	for _, p := range plans {
		out.AffectedPlans = append(out.AffectedPlans, p.ID)
	}
	return c.JSON(http.StatusOK, out)
}
