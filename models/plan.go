package models

import (
	"fmt"
	"regexp"
	"time"
)

// Service plans (一校一案): each school's after-school plan per term, and the compliance figures
// computed from it: "5+2" (all five school days, at least two hours each) and "2+N" (the two
// basic services, homework help and sports, plus N extended categories; urban schools are
// expected to reach 2+3). 5+2 comes first: a plan that misses a school day or two hours a day
// is not 2+N (nor 2+3) compliant, whatever services it lists.

// Service categories: two basic, the rest extended.
const (
	CategoryHomework = "homework"
	CategorySports   = "sports"
)

var (
	BasicCategories    = []string{CategoryHomework, CategorySports}
	ExtendedCategories = []string{"science", "arts", "labour", "reading", "clubs"}
	CategoryEnum       = NewEnum("plan_category", "PlanCategory", "A service category of a school's plan (and of a course): homework and sports are basic, the rest extended.",
		L("homework", "作业辅导"), L("sports", "体育锻炼"), L("science", "科普科技"), L("arts", "文化艺术"),
		L("labour", "劳动实践"), L("reading", "阅读"), L("clubs", "社团及其他"))
	CategoryNames = CategoryEnum.Map()
)

// Who runs a service item.
const (
	ProviderTeachers    = "teachers"    // the school's own teachers
	ProviderInstitution = "institution" // an approved external institution
	ProviderVolunteers  = "volunteers"
)

// ProviderEnum labels who runs a service item.
var ProviderEnum = NewEnum("plan_provider", "PlanProvider", "Who runs a service item of a plan.",
	L(ProviderTeachers, "本校教师"), L(ProviderInstitution, "第三方机构"), L(ProviderVolunteers, "志愿者"))

// ServiceDay is one weekday of service (1 Monday … 7 Sunday) and its hours.
type ServiceDay struct {
	Weekday int    `bson:"weekday" json:"weekday"`
	Start   string `bson:"start" json:"start"` // "16:30"
	End     string `bson:"end" json:"end"`     // "18:30"
}

// Minutes is the day's length of service.
func (d ServiceDay) Minutes() int {
	s, ok1 := ParseClock(d.Start)
	e, ok2 := ParseClock(d.End)
	if !ok1 || !ok2 || e <= s {
		return 0
	}
	return e - s
}

// PlanItem is one service of a plan.
type PlanItem struct {
	Category      string `bson:"category" json:"category"`
	Name          string `bson:"name" json:"name"`
	Provider      string `bson:"provider" json:"provider"`
	InstitutionID string `bson:"institution_id,omitempty" json:"institution_id,omitempty"`
}

// Plan is a school's after-school service plan for one term; its id is school and term.
type Plan struct {
	ID        string       `bson:"_id" json:"id"`
	SchoolID  string       `bson:"school_id" json:"school_id"`
	CountyID  string       `bson:"county_id" json:"county_id"`
	Term      string       `bson:"term" json:"term"` // "2026-autumn", "2027-spring"
	Days      []ServiceDay `bson:"days" json:"days"`
	Items     []PlanItem   `bson:"items" json:"items"`
	FeeNote   string       `bson:"fee_note" json:"fee_note"`
	UpdatedBy string       `bson:"updated_by" json:"-"`
	UpdatedAt time.Time    `bson:"updated_at" json:"updated_at,omitzero"`
}

// PlanID is the id of a school's plan for a term.
func PlanID(schoolID, term string) string { return schoolID + ":" + term }

var termRe = regexp.MustCompile(`^20[0-9]{2}-(spring|autumn)$`)

// ValidTerm reports whether term is like "2026-autumn".
func ValidTerm(term string) bool { return termRe.MatchString(term) }

// TermOf is the term a day falls in: February–July spring, August–January autumn (January
// belongs to the autumn term of the year before).
func TermOf(t time.Time) string {
	l := t.In(Shanghai)
	switch m := l.Month(); {
	case m == time.January:
		return fmt.Sprintf("%d-autumn", l.Year()-1)
	case m <= time.July:
		return fmt.Sprintf("%d-spring", l.Year())
	}
	return fmt.Sprintf("%d-autumn", l.Year())
}

// Validate checks a plan as staff write it.
func (p Plan) Validate() error {
	f := FieldErrors{}
	if !ValidTerm(p.Term) {
		f.Add("term", "学期应如 2026-autumn 或 2027-spring")
	}
	seen := map[int]bool{}
	for i, d := range p.Days {
		k := fmt.Sprintf("days[%d]", i)
		switch {
		case d.Weekday < 1 || d.Weekday > 7:
			f.Add(k+".weekday", "星期应为1–7")
		case seen[d.Weekday]:
			f.Add(k+".weekday", "星期重复")
		case d.Minutes() == 0:
			f.Add(k+".end", "应为 HH:MM，且结束晚于开始")
		}
		seen[d.Weekday] = true
	}
	if len(p.Items) > 50 {
		f.Add("items", "最多50项服务")
	}
	for i, it := range p.Items {
		k := fmt.Sprintf("items[%d]", i)
		if !CategoryEnum.Has(it.Category) {
			f.Add(k+".category", "不支持的服务类别")
		}
		f.CheckText(k+".name", it.Name, 40)
		f.CheckEnum(k+".provider", it.Provider, ProviderEnum)
		if it.Provider == ProviderInstitution && it.InstitutionID == "" {
			f.Add(k+".institution_id", "请选择承办机构")
		}
	}
	f.CheckOptionalText("fee_note", p.FeeNote, 200)
	return f.Err()
}

// Institution statuses.
const (
	InstitutionApproved  = "approved"
	InstitutionSuspended = "suspended"
	InstitutionExited    = "exited"
)

// Institution is an external (non-academic) institution in the registry kept by the city or a
// county; only approved ones may run services in plans.
type Institution struct {
	ID         string    `bson:"_id" json:"id"`
	CountyID   string    `bson:"county_id,omitempty" json:"county_id,omitempty"` // empty: registered by the city
	Name       string    `bson:"name" json:"name"`
	Licence    string    `bson:"licence" json:"licence"`
	Categories []string  `bson:"categories" json:"categories"`
	Status     string    `bson:"status" json:"status"`
	Notes      string    `bson:"notes" json:"notes"` // evaluation notes
	UpdatedAt  time.Time `bson:"updated_at" json:"updated_at,omitzero"`
}

// Validate checks an institution's record.
func (in Institution) Validate() error {
	f := FieldErrors{}
	f.CheckText("name", in.Name, 60)
	f.CheckText("licence", in.Licence, 40)
	f.CheckEnum("status", in.Status, InstitutionStatusEnum)
	if len(in.Categories) == 0 {
		f.Add("categories", MsgRequired)
	}
	for _, c := range in.Categories {
		if !CategoryEnum.Has(c) {
			f.Add("categories", "不支持的服务类别："+c)
		}
	}
	f.CheckOptionalText("notes", in.Notes, 2000)
	return f.Err()
}

// Compliance is what a plan meets, with the reasons it falls short, in Chinese for the bureau.
type Compliance struct {
	HasPlan      bool     `json:"has_plan"`
	FivePlusTwo  bool     `json:"five_plus_two"`
	Basic        bool     `json:"basic"`          // homework help and sports both offered
	N            int      `json:"n"`              // extended categories offered
	TwoPlusN     bool     `json:"two_plus_n"`     // 5+2, basic and N ≥ 1
	TwoPlusThree bool     `json:"two_plus_three"` // 5+2, basic and N ≥ 3
	Reasons      []string `json:"reasons"`
	// Items run by an institution that is not (or no longer) approved: they do not count.
	Flagged []string `json:"flagged,omitempty"`
}

// Check computes a plan's compliance; institutions maps the plan's institutions by id (one
// missing from the map counts as not approved). A nil plan is a school without one.
func Check(p *Plan, institutions map[string]Institution) Compliance {
	c := Compliance{Reasons: []string{}}
	if p == nil {
		c.Reasons = append(c.Reasons, "本学期未提交课后服务方案")
		return c
	}
	c.HasPlan = true
	days := map[int]int{}
	for _, d := range p.Days {
		days[d.Weekday] = d.Minutes()
	}
	c.FivePlusTwo = true
	for wd := 1; wd <= 5; wd++ {
		switch m := days[wd]; {
		case m == 0:
			c.FivePlusTwo = false
			c.Reasons = append(c.Reasons, fmt.Sprintf("星期%s未安排课后服务", weekdayNames[wd]))
		case m < 120:
			c.FivePlusTwo = false
			c.Reasons = append(c.Reasons, fmt.Sprintf("星期%s服务时长%d分钟，不足2小时", weekdayNames[wd], m))
		}
	}
	offered := map[string]bool{}
	for _, it := range p.Items {
		if it.Provider == ProviderInstitution {
			in, ok := institutions[it.InstitutionID]
			if !ok || in.Status != InstitutionApproved {
				name, status := "未登记机构", "未登记"
				if ok {
					name, status = in.Name, InstitutionStatusEnum.Text(in.Status)
				}
				c.Flagged = append(c.Flagged, fmt.Sprintf("“%s”由%s承办（%s），不计入", it.Name, name, status))
				continue
			}
		}
		offered[it.Category] = true
	}
	c.Basic = offered[CategoryHomework] && offered[CategorySports]
	for _, b := range BasicCategories {
		if !offered[b] {
			c.Reasons = append(c.Reasons, "未提供基础服务："+CategoryNames[b])
		}
	}
	for _, e := range ExtendedCategories {
		if offered[e] {
			c.N++
		}
	}
	// The services count only on top of the time: without 5+2 a plan is neither 2+N nor 2+3.
	c.TwoPlusN = c.FivePlusTwo && c.Basic && c.N >= 1
	c.TwoPlusThree = c.FivePlusTwo && c.Basic && c.N >= 3
	if c.N < 3 {
		c.Reasons = append(c.Reasons, fmt.Sprintf("拓展服务%d类，未达到3类", c.N))
	}
	if !c.FivePlusTwo && c.Basic && c.N >= 1 {
		c.Reasons = append(c.Reasons, "服务时间未达到5+2，服务内容不计为2+N达标")
	}
	c.Reasons = append(c.Reasons, c.Flagged...)
	return c
}

var weekdayNames = map[int]string{1: "一", 2: "二", 3: "三", 4: "四", 5: "五", 6: "六", 7: "日"}

// InstitutionStatusEnum labels an institution's statuses.
var InstitutionStatusEnum = NewEnum("institution_status", "InstitutionStatus", "Whether an external institution may run services.",
	L(InstitutionApproved, "已准入"), L(InstitutionSuspended, "已暂停"), L(InstitutionExited, "已退出"))
