package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"kehou/config"
	"kehou/models"
	"kehou/store"
)

// demoSchool is one school of the demo city with its admin account.
type demoSchool struct {
	county   int // index into demoCounties
	school   models.School
	username string
	grades   []int
}

var demoCounties = []struct{ name, username string }{
	{"东湖区", "county-dh"},
	{"西山县", "county-xs"},
}

var demoSchools = []demoSchool{
	{0, models.School{Name: "东湖区实验小学", Location: models.LocationUrban, Stage: models.StagePrimary, Address: "东湖区湖滨路1号", Contact: "王老师", Phone: "0571-88000001"}, "school-dh1", []int{1, 3}},
	{0, models.School{Name: "东湖区第一初级中学", Location: models.LocationUrban, Stage: models.StageJunior, Address: "东湖区学府路8号", Contact: "李老师", Phone: "0571-88000002", RequireBindCode: true}, "school-dh2", []int{7, 8}},
	{1, models.School{Name: "西山县青石镇中心小学", Location: models.LocationRural, Stage: models.StagePrimary, Address: "西山县青石镇", Contact: "赵老师", Phone: "0571-66000001"}, "school-xs1", []int{2, 5}},
	{1, models.School{Name: "西山县青石初级中学", Location: models.LocationRural, Stage: models.StageJunior, Address: "西山县青石镇中学路", Contact: "陈老师", Phone: "0571-66000002"}, "school-xs2", []int{7, 9}},
}

var (
	demoSurnames = []string{"张", "王", "李", "赵", "陈", "刘", "杨", "黄", "周", "吴"}
	demoGiven    = []string{"小明", "一诺", "子涵", "浩然", "欣怡", "宇轩", "梓萱", "俊杰", "雨桐", "思远"}
)

// demoChildName is deterministic so the README can name a child to bind: the first pupil of
// class 1 in the first grade of 东湖区实验小学 is 张小明, student number 2026010101.
func demoChildName(school, gradeIndex, class, i int) string {
	return demoSurnames[(school*3+gradeIndex*2+class-1+i)%len(demoSurnames)] +
		demoGiven[(school+gradeIndex+(class-1)*3+i*7)%len(demoGiven)]
}

// seedDemo loads the demo city unless the database already has counties. It reports whether it
// loaded anything.
func seedDemo(ctx context.Context, cfg *config.Config, st *store.Store) (bool, error) {
	existing, err := st.Counties(ctx, models.Scope{Role: models.RoleCity})
	if err != nil {
		return false, err
	}
	if len(existing) > 0 {
		return false, nil
	}
	hash, err := models.HashPassword(cfg.DemoPassword)
	if err != nil {
		return false, err
	}
	counties := make([]models.County, len(demoCounties))
	for i, dc := range demoCounties {
		counties[i] = models.County{Name: dc.name}
		if err := st.CreateCounty(ctx, &counties[i]); errors.Is(err, store.ErrConflict) {
			return false, nil // another process is seeding
		} else if err != nil {
			return false, err
		}
		admin := models.Staff{Username: dc.username, Name: dc.name + "管理员", PasswordHash: hash, Role: models.RoleCounty, CountyID: counties[i].ID}
		if err := st.CreateStaff(ctx, &admin); err != nil && !errors.Is(err, store.ErrConflict) {
			return false, err
		}
	}
	var schools []models.School
	for si, ds := range demoSchools {
		sc := ds.school
		sc.CountyID = counties[ds.county].ID
		if err := st.CreateSchool(ctx, &sc); err != nil {
			return false, err
		}
		admin := models.Staff{Username: ds.username, Name: sc.Name + "管理员", PasswordHash: hash, Role: models.RoleSchool, CountyID: sc.CountyID, SchoolID: sc.ID}
		if err := st.CreateStaff(ctx, &admin); err != nil && !errors.Is(err, store.ErrConflict) {
			return false, err
		}
		var rows []models.RosterRow
		for gi, grade := range ds.grades {
			for class := 1; class <= 2; class++ {
				for i := 0; i < 10; i++ {
					rows = append(rows, models.RosterRow{
						StudentNo: fmt.Sprintf("2026%02d%02d%02d", si*2+gi+1, class, i+1),
						Name:      demoChildName(si, gi, class, i),
						Grade:     grade, Class: fmt.Sprintf("%d班", class),
					})
				}
			}
		}
		if _, err := st.ImportRoster(ctx, sc, rows); err != nil {
			return false, err
		}
		schools = append(schools, sc)
	}
	if err := seedPlans(ctx, st, counties[0], schools); err != nil {
		return false, err
	}
	return true, seedComplaints(ctx, st, schools[0])
}

// seedComplaints puts two 12345 tickets of two months ago in 东湖区's ledger: one handled and
// closed, one assigned to 东湖区实验小学 and never handled, so the hourly sweep escalates it as
// soon as the system starts.
func seedComplaints(ctx context.Context, st *store.Store, school models.School) error {
	now := time.Now()
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, models.Shanghai).AddDate(0, -2, 0)
	received := month.AddDate(0, 0, 9).UTC()
	done := models.Complaint{Source: models.Source12345, SourceRef: "DEMO-" + month.Format("200601") + "-001", ReceivedOn: models.DayOf(received),
		CountyID: school.CountyID, SchoolID: school.ID, Category: "schedule", Text: "课后服务结束时间太早，家长下班来不及接。"}
	late := models.Complaint{Source: models.Source12345, SourceRef: "DEMO-" + month.Format("200601") + "-002", ReceivedOn: models.DayOf(received),
		CountyID: school.CountyID, SchoolID: school.ID, Category: "food", Text: "课后服务点心质量差。"}
	for _, c := range []*models.Complaint{&done, &late} {
		if err := st.CreateComplaint(ctx, c, "seed"); err != nil {
			return err
		}
		if _, err := st.MoveComplaint(ctx, c.ID, models.ComplaintReceived, models.ComplaintAssigned,
			bson.M{"deadline": models.AddWorkingDays(received, models.DefaultDeadlineDays)}, models.ComplaintStep{By: "seed", Note: school.Name}); err != nil {
			return err
		}
	}
	steps := []struct{ from, to string }{{models.ComplaintAssigned, models.ComplaintRectified}, {models.ComplaintRectified, models.ComplaintVerified},
		{models.ComplaintVerified, models.ComplaintClosed}}
	for _, s := range steps {
		set := bson.M{}
		if s.to == models.ComplaintRectified {
			set["outcome"] = "已将结束时间延至18:30"
		}
		if _, err := st.MoveComplaint(ctx, done.ID, s.from, s.to, set, models.ComplaintStep{By: "seed"}); err != nil {
			return err
		}
	}
	return nil
}

// seedPlans gives the demo schools plans for the current term that show each way of meeting or
// missing the targets: 东湖区实验小学 meets 2+3 (one item run by an approved institution),
// 东湖区第一初级中学 offers 2+2, 青石镇中心小学 serves four days only, and 青石初级中学 names a
// suspended institution, whose item does not count.
func seedPlans(ctx context.Context, st *store.Store, county models.County, schools []models.School) error {
	good := models.Institution{CountyID: county.ID, Name: "东湖青少年科技中心", Licence: "DH-2025-017", Categories: []string{"science", "arts"},
		Status: models.InstitutionApproved, Notes: "2025年度评估：良好"}
	bad := models.Institution{CountyID: county.ID, Name: "启航艺术培训", Licence: "DH-2024-233", Categories: []string{"arts"},
		Status: models.InstitutionSuspended, Notes: "2026年投诉核实，暂停合作"}
	for _, in := range []*models.Institution{&good, &bad} {
		if err := st.CreateInstitution(ctx, in); err != nil {
			return err
		}
	}
	days := func(n int, end string) []models.ServiceDay {
		var out []models.ServiceDay
		for d := 1; d <= n; d++ {
			out = append(out, models.ServiceDay{Weekday: d, Start: "16:30", End: end})
		}
		return out
	}
	item := func(cat, name string, inst string) models.PlanItem {
		it := models.PlanItem{Category: cat, Name: name, Provider: models.ProviderTeachers}
		if inst != "" {
			it.Provider, it.InstitutionID = models.ProviderInstitution, inst
		}
		return it
	}
	basics := []models.PlanItem{item("homework", "作业辅导", ""), item("sports", "体育锻炼", "")}
	plans := [][]models.PlanItem{
		append(append([]models.PlanItem{}, basics...), item("science", "机器人", good.ID), item("arts", "合唱团", ""), item("reading", "整本书阅读", "")),
		append(append([]models.PlanItem{}, basics...), item("science", "科学实验", ""), item("clubs", "棋类社团", "")),
		append(append([]models.PlanItem{}, basics...), item("labour", "种植园", "")),
		append(append([]models.PlanItem{}, basics...), item("reading", "阅读", ""), item("arts", "舞蹈", bad.ID)),
	}
	term := models.TermOf(time.Now())
	for i, sc := range schools {
		p := models.Plan{SchoolID: sc.ID, CountyID: sc.CountyID, Term: term, Days: days(5, "18:30"), Items: plans[i], FeeNote: "按物价部门核定标准收取服务费"}
		if i == 2 {
			p.Days = days(4, "18:30")
		}
		if err := st.SavePlan(ctx, &p); err != nil {
			return err
		}
	}
	return nil
}

// seedCommand is `kehou seed`: the demo city into an empty database, never into production.
func seedCommand(ctx context.Context, cfg *config.Config, log *slog.Logger, stdout io.Writer) error {
	if cfg.Production() {
		return errors.New("seed loads a fictional city and is refused when KEHOU_ENV=production")
	}
	in, err := open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer in.close(log)
	if err := ensureAdmin(ctx, cfg, in.store, log, stdout); err != nil {
		return err
	}
	seeded, err := seedDemo(ctx, cfg, in.store)
	if err != nil {
		return err
	}
	if !seeded {
		fmt.Fprintln(stdout, "The database already has counties; nothing seeded.")
		return nil
	}
	fmt.Fprintf(stdout, "Demo city loaded: 2 counties, 4 schools, 160 pupils. Admin accounts county-dh, county-xs, school-dh1, school-dh2, school-xs1, school-xs2 share the password from KEHOU_DEMO_PASSWORD (default %q).\n", "kehou-demo-2026")
	return nil
}
