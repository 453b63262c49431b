package models

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// constGroups assigns each block of string constants in this package (named by its first
// constant) to the enum that labels its codes. internalConsts are string constants that never
// reach a user as a code (keys, messages, token prefixes).
var (
	constGroups = map[string]string{
		"CaseSubmitted":          "case_status",
		"ChannelSubscribe":       "channel",
		"SourceMiniProgram":      "complaint_source",
		"ComplaintReceived":      "complaint_status",
		"DeliveryQueued":         "delivery_status",
		"EventDraft":             "event_status",
		"NoticeGeneral":          "notice_kind",
		"NoticeScheduled":        "notice_status",
		"AudienceScope":          "audience_kind",
		"LocationUrban":          "school_location",
		"StagePrimary":           "school_stage",
		"PoolEventSession":       "pool_kind",
		"SignUpWaiting":          "signup_status",
		"CategoryHomework":       "plan_category",
		"ProviderTeachers":       "plan_provider",
		"InstitutionApproved":    "institution_status",
		"PoolCarePeriod":         "pool_kind",
		"SignUpCourse":           "signup_kind",
		"SignUpCare":             "signup_kind",
		"RoleCity":               "staff_role",
		"SelectionDraft":         "selection_status",
		"ApplicationPending":     "application_status",
		"AttendanceCheckIn":      "attendance_action",
		"SurveyOpinion":          "survey_kind",
		"SurveyDraft":            "survey_status",
		"MemberSurveyNotStarted": "member_survey_status",
		"QSingle":                "question_type",
		"LevelAll":               "result_level",
		"VolunteerTeacher":       "volunteer_type",
		"CredentialPending":      "credential_status",
		"SubscribeAccept":        "subscribe_result",
		"StepAssign":             "complaint_step",
		"ReceiptQueued":          "receipt_status",
		"HistoryEscalated":       "complaint_history_status",
	}
	internalConsts = []string{
		"ActorCounty", "ActorSchool", // who may move a complaint: the caller's role, not a field
		"SessionMember", "SessionStaff", // session kinds, never in a response
		"TokenShift",                              // a token's kind, inside the signed token
		"MsgRequired", "MsgTooLong", "MsgInvalid", // messages
		"TooFewNote", "SuppressedNote", // notes
		"DayLayout",                  // a time layout
		"PasswordRule", "MsgBadText", // messages
	}
)

// stringConsts parses the package's non-test files and returns every string constant by the
// first constant of its block.
func stringConsts(t *testing.T) map[string]map[string]string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]string{}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			first := ""
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, id := range vs.Names {
					if first == "" {
						first = id.Name
					}
					if i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					v, err := strconv.Unquote(lit.Value)
					if err != nil {
						t.Fatal(err)
					}
					if out[first] == nil {
						out[first] = map[string]string{}
					}
					out[first][id.Name] = v
				}
			}
		}
	}
	return out
}

// TestEveryCodeHasALabel fails when a string constant of this package is a code without a
// label: its block must be assigned to an enum that has each of its values, or be internal.
func TestEveryCodeHasALabel(t *testing.T) {
	groups := stringConsts(t)
	if len(groups) < len(constGroups) {
		t.Fatalf("found %d blocks of string constants, expected at least %d: is the parser reading the package?", len(groups), len(constGroups))
	}
	for first, consts := range groups {
		enumName, ok := constGroups[first]
		if !ok {
			for name := range consts {
				if !slices.Contains(internalConsts, name) {
					t.Errorf("string constant %s (block of %s) is neither in constGroups (labelled by an enum) nor internal", name, first)
				}
			}
			continue
		}
		e := EnumNamed(enumName)
		if e == nil {
			t.Errorf("block %s: no enum %q is registered", first, enumName)
			continue
		}
		for name, v := range consts {
			if !e.Has(v) {
				t.Errorf("%s = %q has no label in enum %s", name, v, enumName)
			}
		}
	}
}

// TestEnumsAreComplete checks every enum's labels and that lists kept beside an enum agree
// with it.
func TestEnumsAreComplete(t *testing.T) {
	all := Enums()
	if len(all) < 25 {
		t.Fatalf("only %d enums registered", len(all))
	}
	schemas := map[string]bool{}
	for _, e := range all {
		if e.Schema == "" || schemas[e.Schema] || e.Description == "" || len(e.Labels) == 0 {
			t.Errorf("enum %s: schema %q (unique, required), description and labels are required", e.Name, e.Schema)
		}
		schemas[e.Schema] = true
		for _, l := range e.Labels {
			if !strings.ContainsFunc(l.Text, func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }) {
				t.Errorf("enum %s: code %s has no Chinese label: %q", e.Name, l.Code, l.Text)
			}
		}
		if got := AllLabels()[e.Name]; len(got) != len(e.Labels) {
			t.Errorf("AllLabels()[%s] has %d codes, want %d", e.Name, len(got), len(e.Labels))
		}
	}
	cats := append(slices.Clone(BasicCategories), ExtendedCategories...)
	slices.Sort(cats)
	codes := CategoryEnum.Codes()
	slices.Sort(codes)
	if !slices.Equal(cats, codes) {
		t.Errorf("basic and extended categories %v differ from the labelled ones %v", cats, codes)
	}
}

// TestCheckEnum: validation accepts exactly the enum's codes (or the allowed subset of them).
func TestCheckEnum(t *testing.T) {
	e := ChannelEnum
	for _, c := range e.Codes() {
		f := FieldErrors{}
		if f.CheckEnum("x", c, e); len(f) != 0 {
			t.Errorf("%s refused: %v", c, f)
		}
	}
	cases := []struct {
		value   string
		allowed []string
		ok      bool
	}{
		{"", nil, false},
		{"fax", nil, false},
		{ChannelSMS, []string{ChannelWeCom, ChannelDingTalk}, false},
		{ChannelWeCom, []string{ChannelWeCom, ChannelDingTalk}, true},
		{"fax", []string{"fax", ChannelWeCom}, false}, // an allowed code without a label is still refused
	}
	for _, c := range cases {
		f := FieldErrors{}
		f.CheckEnum("x", c.value, e, c.allowed...)
		if (len(f) == 0) != c.ok {
			t.Errorf("CheckEnum(%q, %v): errors %v, want ok=%v", c.value, c.allowed, f, c.ok)
		}
	}
	// A validator that uses an enum refuses a code outside it.
	s := School{Name: "一中", Location: "suburban", Stage: StagePrimary}
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "location") {
		t.Errorf("school with location suburban: %v", err)
	}
}
