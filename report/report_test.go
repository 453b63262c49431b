package report_test

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"kehou/devstack/testenv"
	"kehou/models"
	"kehou/report"
	"kehou/store"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

// city is a store with one county of two schools, each with a roster of two pupils, and a
// clock the test moves.
type city struct {
	st      *store.Store
	county  models.County
	schools [2]models.School
}

func newCity(t *testing.T) *city {
	t.Helper()
	st, err := store.New(testenv.Mongo(t), testenv.Key())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := st.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	c := &city{st: st, county: models.County{Name: "甲区"}}
	if err := st.CreateCounty(ctx, &c.county); err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"甲二小学", "甲一小学"} {
		c.schools[i] = models.School{CountyID: c.county.ID, Name: name, Location: models.LocationUrban, Stage: models.StagePrimary}
		if err := st.CreateSchool(ctx, &c.schools[i]); err != nil {
			t.Fatal(err)
		}
		rows := []models.RosterRow{{StudentNo: "1", Name: "张小明", Grade: 1, Class: "1班"}, {StudentNo: "2", Name: "李雷", Grade: 1, Class: "1班"}}
		if _, err := st.ImportRoster(ctx, c.schools[i], rows); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func (c *city) at(t *testing.T, day string) {
	tm, err := time.ParseInLocation("2006-01-02 15:04", day, models.Shanghai)
	if err != nil {
		t.Fatal(err)
	}
	c.st.SetClock(func() time.Time { return tm.UTC() })
}

func (c *city) bind(t *testing.T, school int, member, no, name string) {
	t.Helper()
	if _, _, err := c.st.Bind(context.Background(), store.BindRequest{MemberID: member, SchoolID: c.schools[school].ID, StudentNo: no, Name: name}); err != nil {
		t.Fatal(err)
	}
}

// TestReportReadsTheCounters: a month's families are every binding made by its end, its answers
// and satisfaction only its own; schools add up into their county and the city, listed by name.
func TestReportReadsTheCounters(t *testing.T) {
	c := newCity(t)
	ctx := context.Background()
	c.at(t, "2026-09-15 10:00")
	c.bind(t, 0, "m1", "1", "张小明")
	c.bind(t, 1, "m2", "2", "李雷")
	c.at(t, "2026-10-10 10:00")
	c.bind(t, 0, "m3", "2", "李雷")
	sv := models.Survey{CountyID: c.county.ID, Title: "满意度", Kind: models.SurveySatisfaction, Status: models.SurveyPublished,
		Questions: models.SurveyTemplates["after_school_satisfaction"].Copy()}
	if err := c.st.CreateSurvey(ctx, &sv); err != nil {
		t.Fatal(err)
	}
	score := 5
	answer := models.Response{ID: store.NewID(), SurveyID: sv.ID, Respondent: "r1", SchoolID: c.schools[0].ID, CountyID: c.county.ID,
		SubmittedAt: c.st.Now(), Answers: models.Answers{"overall": {Score: &score}, "aware": {Choice: "A"},
			"joined": {Choice: "A"}, "services": {Rows: []int{5, 5, 5, 5, 5}}}}
	if _, err := c.st.InsertResponses(ctx, []models.Response{answer}); err != nil {
		t.Fatal(err)
	}

	b := report.New(c.st)
	oct, err := b.Build(ctx, "2026-10")
	if err != nil {
		t.Fatal(err)
	}
	if f := oct.City; f.Schools != 2 || f.Pupils != 4 || f.Families != 3 || f.SurveyResponses != 1 || f.Satisfied != 1 || f.Rated != 1 {
		t.Fatalf("October, city: %+v", f)
	}
	if len(oct.Counties) != 1 || oct.Counties[0].Figures != oct.City {
		t.Fatalf("October, counties: %+v", oct.Counties)
	}
	if len(oct.Schools) != 2 || oct.Schools[0].Name != "甲一小学" || oct.Schools[0].Figures.Families != 1 || oct.Schools[1].Figures.Families != 2 {
		t.Fatalf("October, schools by name: %+v", oct.Schools)
	}
	sep, err := b.Build(ctx, "2026-09")
	if err != nil {
		t.Fatal(err)
	}
	if f := sep.City; f.Families != 2 || f.SurveyResponses != 0 || f.Pupils != 4 {
		t.Fatalf("September, city: %+v", f)
	}
	if _, err := b.Build(ctx, "2026-13"); err == nil {
		t.Fatal("a month that does not exist was built")
	}
}

// TestEnsureStoresOnce: builders racing for a month store one report and all return it; a
// binding made afterwards does not change the stored report, though a fresh build sees it.
func TestEnsureStoresOnce(t *testing.T) {
	c := newCity(t)
	ctx := context.Background()
	c.at(t, "2026-10-10 10:00")
	c.bind(t, 0, "m1", "1", "张小明")
	c.at(t, "2026-11-01 09:00")
	b := report.New(c.st)

	const racers = 4
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		built  int
		stored []models.MonthlyReport
	)
	for range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, fresh, err := b.Ensure(ctx, "2026-10")
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Error(err)
				return
			}
			if fresh {
				built++
			}
			stored = append(stored, r)
		}()
	}
	wg.Wait()
	if built != 1 || len(stored) != racers {
		t.Fatalf("%d of %d builders stored the report (want 1)", built, len(stored))
	}
	for _, r := range stored[1:] {
		if !r.BuiltAt.Equal(stored[0].BuiltAt) || r.City != stored[0].City {
			t.Fatalf("builders returned different reports: %+v and %+v", r.City, stored[0].City)
		}
	}

	c.at(t, "2026-10-20 10:00") // recorded late, dated October
	c.bind(t, 1, "m2", "1", "张小明")
	again, fresh, err := b.Ensure(ctx, "2026-10")
	if err != nil || fresh || again.City.Families != 1 {
		t.Fatalf("the stored report changed: %+v fresh=%v %v", again.City, fresh, err)
	}
	if rebuilt, err := b.Build(ctx, "2026-10"); err != nil || rebuilt.City.Families != 2 {
		t.Fatalf("a rebuild would see the late binding: %+v %v", rebuilt.City, err)
	}
}
