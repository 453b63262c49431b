package models

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func drawInput(seed string, requests []DrawRequest, courses ...DrawCourse) DrawInput {
	return DrawInput{Commitment: Commitment(seed), Seed: seed, Rules: DrawRules{MaxCourses: 2, MaxExtended: 1}, Courses: courses, Requests: requests}
}

var (
	chess   = DrawCourse{ID: "chess", Capacity: 2, Weekday: 1, Start: "16:30", End: "17:30", Extended: true}
	robots  = DrawCourse{ID: "robots", Capacity: 1, Weekday: 1, Start: "17:00", End: "18:00", Extended: true} // clashes with chess
	running = DrawCourse{ID: "running", Capacity: 10, Weekday: 2, Start: "16:30", End: "17:30"}
	drama   = DrawCourse{ID: "drama", Capacity: 10, Weekday: 3, Start: "16:30", End: "17:30", Extended: true}
)

func TestDrawIsAPureFunctionOfTheSeed(t *testing.T) {
	var reqs []DrawRequest
	for i := range 8 {
		reqs = append(reqs, DrawRequest{Code: fmt.Sprintf("C%02d", i), Choices: []string{"chess", "robots", "running", "drama"}})
	}
	a, err := Draw(drawInput("seed-1", reqs, chess, robots, running, drama))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Draw(drawInput("seed-1", reqs, chess, robots, running, drama))
	c, _ := Draw(drawInput("seed-2", reqs, chess, robots, running, drama))
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same seed and requests gave different results")
	}
	if reflect.DeepEqual(a.Order, c.Order) {
		t.Fatal("another seed gave the same order")
	}
	// A wrong seed does not match the commitment.
	in := drawInput("seed-1", reqs, chess, robots, running, drama)
	in.Seed = "seed-x"
	if _, err := Draw(in); err != ErrCommitment {
		t.Fatalf("wrong seed: %v", err)
	}
	// No course over capacity; nobody holds two clashing courses or two extended ones; every
	// first choice lost went to the next that fits (robots clashes with chess, drama is extended).
	count := map[string]int{}
	for code, held := range a.Placed {
		for _, id := range held {
			count[id]++
		}
		if len(held) > 2 {
			t.Fatalf("%s holds %v", code, held)
		}
		ext := 0
		for _, id := range held {
			if id != "running" {
				ext++
			}
		}
		if ext > 1 {
			t.Fatalf("%s holds two extended courses: %v", code, held)
		}
	}
	if count["chess"] != 2 || count["robots"] != 1 || count["running"] != 8 || count["drama"] != 5 {
		t.Fatalf("allocation: %v (placed %v)", count, a.Placed)
	}
	// The first two in lottery order got chess; the third robots; everyone running.
	if !reflect.DeepEqual(a.Placed[a.Order[0]], []string{"chess", "running"}) || !reflect.DeepEqual(a.Placed[a.Order[2]], []string{"robots", "running"}) {
		t.Fatalf("ranked choices in order: %v", a.Placed)
	}
	if !reflect.DeepEqual(a.Placed[a.Order[3]], []string{"running", "drama"}) {
		t.Fatalf("the fourth: %v", a.Placed[a.Order[3]])
	}
	// Waiting lists: those who could still take chess (nobody: every later one holds an
	// extended course already).
	if len(a.Waiting["chess"]) != 0 {
		t.Fatalf("chess waiting list: %v", a.Waiting["chess"])
	}
}

func TestDrawWaitingListsInLotteryOrder(t *testing.T) {
	var reqs []DrawRequest
	for i := range 5 {
		reqs = append(reqs, DrawRequest{Code: fmt.Sprintf("W%d", i), Choices: []string{"robots"}})
	}
	in := drawInput("s", reqs, robots)
	in.Rules = DrawRules{MaxCourses: 1}
	r, _ := Draw(in)
	if len(r.Placed) != 1 || !reflect.DeepEqual(r.Waiting["robots"], r.Order[1:]) {
		t.Fatalf("placed %v, waiting %v, order %v", r.Placed, r.Waiting, r.Order)
	}
}

// TestDrawIsFair: over many draws, each of 12 requesters of a 3-place course (all ranking it
// first) wins about a quarter of the time. 4,000 draws: expected 1,000 wins each, standard
// deviation sqrt(4000·¼·¾) ≈ 27.4; the tolerance is ±5 standard deviations (±137), which a fair
// draw exceeds with probability below 1e-5 per requester, while a biased order (say always
// the same three) is off by hundreds. The seeds are fixed, so the test is deterministic.
func TestDrawIsFair(t *testing.T) {
	const draws, requesters, places = 4000, 12, 3
	course := DrawCourse{ID: "clay", Capacity: places, Weekday: 4, Start: "16:00", End: "17:00", Extended: true}
	var reqs []DrawRequest
	for i := range requesters {
		reqs = append(reqs, DrawRequest{Code: fmt.Sprintf("R%02d", i), Choices: []string{"clay"}})
	}
	wins := map[string]int{}
	for d := range draws {
		r, err := Draw(drawInput(fmt.Sprintf("seed-%d", d), reqs, course))
		if err != nil {
			t.Fatal(err)
		}
		for code := range r.Placed {
			wins[code]++
		}
	}
	want := float64(draws) * places / requesters
	sd := math.Sqrt(float64(draws) * places / requesters * (1 - float64(places)/requesters))
	for _, q := range reqs {
		if d := math.Abs(float64(wins[q.Code]) - want); d > 5*sd {
			t.Fatalf("%s won %d of %d draws, expected %.0f ± %.0f", q.Code, wins[q.Code], draws, want, 5*sd)
		}
	}
}

func TestPlanCompliance(t *testing.T) {
	week := func(start, end string, days ...int) []ServiceDay {
		var out []ServiceDay
		for _, d := range days {
			out = append(out, ServiceDay{Weekday: d, Start: start, End: end})
		}
		return out
	}
	items := func(cats ...string) []PlanItem {
		var out []PlanItem
		for _, c := range cats {
			out = append(out, PlanItem{Category: c, Name: CategoryNames[c], Provider: ProviderTeachers})
		}
		return out
	}
	full := Plan{Term: "2026-autumn", Days: week("16:30", "18:30", 1, 2, 3, 4, 5), Items: items("homework", "sports", "science", "arts", "reading")}
	if c := Check(&full, nil); !c.FivePlusTwo || !c.TwoPlusThree || c.N != 3 || len(c.Reasons) != 0 {
		t.Fatalf("a full plan: %+v", c)
	}
	cases := []struct {
		name   string
		plan   *Plan
		reason string
		check  func(Compliance) bool
	}{
		{"no plan", nil, "未提交", func(c Compliance) bool { return !c.HasPlan && !c.TwoPlusN }},
		{"four days", &Plan{Days: week("16:30", "18:30", 1, 2, 3, 4), Items: full.Items}, "星期五未安排", func(c Compliance) bool {
			return !c.FivePlusTwo && !c.TwoPlusN && !c.TwoPlusThree && c.Basic && c.N == 3
		}},
		{"short day", &Plan{Days: append(week("16:30", "18:30", 1, 2, 3, 4), ServiceDay{Weekday: 5, Start: "16:30", End: "18:00"}), Items: full.Items}, "星期五服务时长90分钟", func(c Compliance) bool { return !c.FivePlusTwo && !c.TwoPlusN && !c.TwoPlusThree }},
		{"no sports", &Plan{Days: full.Days, Items: items("homework", "science", "arts", "reading")}, "体育锻炼", func(c Compliance) bool { return !c.TwoPlusN && c.N == 3 }},
		{"2+2", &Plan{Days: full.Days, Items: items("homework", "sports", "science", "arts")}, "拓展服务2类", func(c Compliance) bool { return c.TwoPlusN && !c.TwoPlusThree }},
	}
	for _, k := range cases {
		c := Check(k.plan, nil)
		if !k.check(c) || !strings.Contains(strings.Join(c.Reasons, "；"), k.reason) {
			t.Errorf("%s: %+v", k.name, c)
		}
	}
	// An item run by a suspended institution does not count, and is flagged.
	withInst := full
	withInst.Items = append(items("homework", "sports", "science", "arts"), PlanItem{Category: "reading", Name: "绘本阅读", Provider: ProviderInstitution, InstitutionID: "i1"})
	ok := Check(&withInst, map[string]Institution{"i1": {ID: "i1", Name: "书香机构", Status: InstitutionApproved}})
	bad := Check(&withInst, map[string]Institution{"i1": {ID: "i1", Name: "书香机构", Status: InstitutionSuspended}})
	if !ok.TwoPlusThree || bad.TwoPlusThree || len(bad.Flagged) != 1 || !strings.Contains(bad.Flagged[0], "已暂停") {
		t.Fatalf("institution: approved %+v, suspended %+v", ok, bad)
	}
	if TermOf(mustDay("2027-01-10")) != "2026-autumn" || TermOf(mustDay("2027-03-01")) != "2027-spring" || TermOf(mustDay("2026-09-01")) != "2026-autumn" {
		t.Fatal("terms")
	}
}

func mustDay(s string) time.Time { t, _ := ParseDay(s); return t }

func TestSelectionChoicesRules(t *testing.T) {
	sel := Selection{Rules: SelectionRules{MaxCourses: 2, MaxExtended: 1, MaxChoices: 3}, Courses: []Course{
		{ID: "a", Name: "陶艺", Category: "arts", Grades: []int{3, 4}},
		{ID: "b", Name: "围棋", Category: "clubs"},
		{ID: "c", Name: "跑步", Category: "sports"},
		{ID: "d", Name: "书法", Category: "arts"},
	}}
	if err := sel.CheckChoices(3, []string{"a", "b", "c"}); err != nil {
		t.Fatalf("good choices: %v", err)
	}
	fe, _ := sel.CheckChoices(5, []string{"a", "b", "b", "x"}).(FieldErrors)
	if fe["choices[0]"] == "" || fe["choices[2]"] == "" || fe["choices[3]"] == "" || fe["choices"] == "" {
		t.Fatalf("grade, repeat, unknown and too many: %v", fe)
	}
	if fe, _ := sel.CheckChoices(3, nil).(FieldErrors); fe["choices"] == "" {
		t.Fatal("no choice accepted")
	}
	if !sel.Courses[0].Extended() || sel.Courses[2].Extended() {
		t.Fatal("extended categories")
	}
}
