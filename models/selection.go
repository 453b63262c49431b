package models

import (
	"fmt"
	"slices"
	"time"
)

// Course selection (选课): a school publishes a menu of courses for a term; families rank
// courses for each child within the school's rules; after the window closes places are
// allocated, by a verifiable lottery where a course has more requests than places (lottery.go).

// Course is one course (club) of a menu.
type Course struct {
	ID            string `bson:"id" json:"id"`
	Name          string `bson:"name" json:"name"`
	Category      string `bson:"category" json:"category"` // a plan category
	Description   string `bson:"description" json:"description"`
	Grades        []int  `bson:"grades" json:"grades"` // empty: every grade
	Weekday       int    `bson:"weekday" json:"weekday"`
	Start         string `bson:"start" json:"start"`
	End           string `bson:"end" json:"end"`
	Capacity      int    `bson:"capacity" json:"capacity"`
	Teacher       string `bson:"teacher" json:"teacher"`
	InstitutionID string `bson:"institution_id,omitempty" json:"institution_id,omitempty"`
	Requests      int    `bson:"-" json:"requests"` // staff views: how many ranked it
}

// Extended reports whether the course is an extended (not basic) service.
func (c Course) Extended() bool { return slices.Contains(ExtendedCategories, c.Category) }

// Admits reports whether a pupil of the grade may take the course.
func (c Course) Admits(grade int) bool { return len(c.Grades) == 0 || slices.Contains(c.Grades, grade) }

// SelectionRules are a school's limits per child.
type SelectionRules struct {
	MaxCourses  int `bson:"max_courses" json:"max_courses"`   // courses a child may be given
	MaxExtended int `bson:"max_extended" json:"max_extended"` // extended ones among them (0: no further limit)
	MaxChoices  int `bson:"max_choices" json:"max_choices"`   // courses a family may rank
}

// Selection statuses.
const (
	SelectionDraft = "draft"
	SelectionOpen  = "open"  // published: the menu and the commitment are public
	SelectionDrawn = "drawn" // places allocated, seed revealed
)

// SelectionStatusEnum labels the selection statuses.
var SelectionStatusEnum = NewEnum("selection_status", "SelectionStatus", "Where a course selection is: draft, open (families rank courses) or drawn (places allocated).",
	L(SelectionDraft, "草稿"), L(SelectionOpen, "选课中"), L(SelectionDrawn, "已摇号"))

// Selection is a school's menu for a term with its selection window and lottery commitment.
type Selection struct {
	ID         string         `bson:"_id" json:"id"`
	SchoolID   string         `bson:"school_id" json:"school_id"`
	CountyID   string         `bson:"county_id" json:"county_id"`
	Sender     string         `bson:"sender" json:"sender"`
	AuthorID   string         `bson:"author_id" json:"-"`
	Term       string         `bson:"term" json:"term"`
	Title      string         `bson:"title" json:"title"`
	Courses    []Course       `bson:"courses" json:"courses"`
	Rules      SelectionRules `bson:"rules" json:"rules"`
	Opens      time.Time      `bson:"opens" json:"opens,omitzero"`
	Closes     time.Time      `bson:"closes" json:"closes,omitzero"`
	Commitment string         `bson:"commitment" json:"commitment"`
	SeedEnc    []byte         `bson:"seed_enc" json:"-"`                           // sealed until the draw
	Seed       string         `bson:"seed,omitempty" json:"seed,omitempty"`        // revealed by the draw
	DrawnAt    time.Time      `bson:"drawn_at,omitempty" json:"drawn_at,omitzero"` // when
	Status     string         `bson:"status" json:"status"`
	CreatedAt  time.Time      `bson:"created_at" json:"created_at,omitzero"`
}

// MaxMenuCourses bounds a menu.
const MaxMenuCourses = 100

// Validate checks a new selection.
func (s Selection) Validate() error {
	f := FieldErrors{}
	f.CheckText("title", s.Title, 60)
	if !ValidTerm(s.Term) {
		f.Add("term", "学期应如 2026-autumn 或 2027-spring")
	}
	switch {
	case s.Opens.IsZero():
		f.Add("opens", MsgRequired)
	case s.Closes.IsZero():
		f.Add("closes", MsgRequired)
	case !s.Closes.After(s.Opens):
		f.Add("closes", "截止时间应晚于开始时间")
	}
	f.CheckDate("opens", s.Opens)
	f.CheckDate("closes", s.Closes)
	r := s.Rules
	if r.MaxCourses < 1 || r.MaxCourses > 5 {
		f.Add("rules.max_courses", "每名学生可选1–5门")
	}
	if r.MaxExtended < 0 || r.MaxExtended > r.MaxCourses {
		f.Add("rules.max_extended", "拓展课程上限应为0到可选门数之间")
	}
	if r.MaxChoices < r.MaxCourses || r.MaxChoices > 10 {
		f.Add("rules.max_choices", "志愿数应不少于可选门数，最多10个")
	}
	if len(s.Courses) == 0 || len(s.Courses) > MaxMenuCourses {
		f.Add("courses", fmt.Sprintf("应有1–%d门课程", MaxMenuCourses))
	}
	for i, c := range s.Courses {
		k := fmt.Sprintf("courses[%d]", i)
		f.CheckText(k+".name", c.Name, 30)
		if !CategoryEnum.Has(c.Category) {
			f.Add(k+".category", "不支持的服务类别")
		}
		f.CheckOptionalText(k+".description", c.Description, 500)
		if c.Weekday < 1 || c.Weekday > 7 {
			f.Add(k+".weekday", "星期应为1–7")
		}
		if (ServiceDay{Start: c.Start, End: c.End}).Minutes() == 0 {
			f.Add(k+".end", "应为 HH:MM，且结束晚于开始")
		}
		if c.Capacity < 1 || c.Capacity > 1000 {
			f.Add(k+".capacity", "名额应为1–1000")
		}
		f.CheckOptionalText(k+".teacher", c.Teacher, 30)
		for _, g := range c.Grades {
			if g < 1 || g > 9 {
				f.Add(k+".grades", "年级应为1–9")
			}
		}
	}
	return f.Err()
}

// Course returns the course with id, or nil.
func (s Selection) Course(id string) *Course {
	for i := range s.Courses {
		if s.Courses[i].ID == id {
			return &s.Courses[i]
		}
	}
	return nil
}

// DrawCourses are the menu as the draw sees it.
func (s Selection) DrawCourses() []DrawCourse {
	out := make([]DrawCourse, len(s.Courses))
	for i, c := range s.Courses {
		out[i] = DrawCourse{ID: c.ID, Capacity: c.Capacity, Weekday: c.Weekday, Start: c.Start, End: c.End, Extended: c.Extended()}
	}
	return out
}

// CourseRequest is a family's ranked choices for one child; one per child per selection.
type CourseRequest struct {
	ID          string    `bson:"_id" json:"id"` // selection:child
	SelectionID string    `bson:"selection_id" json:"selection_id"`
	ChildID     string    `bson:"child_id" json:"child_id"`
	MemberID    string    `bson:"member_id" json:"-"`
	Grade       int       `bson:"grade" json:"grade"`
	Code        string    `bson:"code" json:"code"` // the child's anonymised code in the public draw
	Choices     []string  `bson:"choices" json:"choices"`
	UpdatedAt   time.Time `bson:"updated_at" json:"updated_at,omitzero"`
}

// CheckChoices validates a child's ranked choices against the menu and rules.
func (s Selection) CheckChoices(grade int, choices []string) error {
	f := FieldErrors{}
	if len(choices) == 0 {
		f.Add("choices", "请至少选择一门课程")
	}
	if len(choices) > s.Rules.MaxChoices {
		f.Add("choices", fmt.Sprintf("最多填报%d个志愿", s.Rules.MaxChoices))
	}
	seen := map[string]bool{}
	for i, id := range choices {
		k := fmt.Sprintf("choices[%d]", i)
		c := s.Course(id)
		switch {
		case c == nil:
			f.Add(k, "没有这门课程")
		case seen[id]:
			f.Add(k, "志愿重复")
		case !c.Admits(grade):
			f.Add(k, "这门课程不面向该年级")
		}
		seen[id] = true
	}
	return f.Err()
}
