package models

import (
	"strings"
	"testing"
)

func TestMaskName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"张小明", "张*明"}, {"李雷", "李*"}, {"欧阳娜娜", "欧**娜"}, {"王", "*"}, {"", ""},
		{"阿卜杜·热合曼", "阿*****曼"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := MaskName(tt.in); got != tt.want {
				t.Fatalf("MaskName(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNormalizeName(t *testing.T) {
	if NormalizeName(" 张 小明 ") != NormalizeName("张小明") {
		t.Fatal("spaces must not matter")
	}
	if NormalizeName("阿卜杜•热合曼") != NormalizeName("阿卜杜·热合曼") {
		t.Fatal("middle-dot variants must match")
	}
	if NormalizeName("张小明") == NormalizeName("张晓明") {
		t.Fatal("different characters must differ")
	}
}

func TestParseGrade(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"3", 3, true}, {"三年级", 3, true}, {"3年级", 3, true}, {"初一", 7, true}, {"初三", 9, true},
		{"初四", 0, false}, {"10", 10, false}, {"0", 0, false}, {"高一", 0, false}, {"", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := ParseGrade(tt.in)
			if ok != tt.ok || (ok && got != tt.want) {
				t.Fatalf("ParseGrade(%q) = %d, %v", tt.in, got, ok)
			}
		})
	}
}

func TestScope(t *testing.T) {
	city := Scope{Role: RoleCity}
	county := Scope{Role: RoleCounty, CountyID: "c1"}
	school := Scope{Role: RoleSchool, CountyID: "c1", SchoolID: "s1"}
	tests := []struct {
		name  string
		scope Scope
		sch   string
		cnty  string
		want  bool
	}{
		{"city any", city, "s9", "c9", true},
		{"county own", county, "s2", "c1", true},
		{"county other", county, "s9", "c9", false},
		{"school own", school, "s1", "c1", true},
		{"school sibling", school, "s2", "c1", false},
		{"unknown role", Scope{Role: "mayor"}, "s1", "c1", false},
		{"county with empty county", Scope{Role: RoleCounty}, "s1", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.scope.AllowsSchool(tt.sch, tt.cnty); got != tt.want {
				t.Fatalf("AllowsSchool = %v", got)
			}
		})
	}
	if !county.CanManageStaff(school) || county.CanManageStaff(county) || school.CanManageStaff(school) ||
		county.CanManageStaff(Scope{Role: RoleSchool, CountyID: "c2", SchoolID: "s9"}) {
		t.Fatal("staff management must go strictly downward within scope")
	}
}

func TestParseRosterLimitsAndEncodings(t *testing.T) {
	rows, errs, err := ParseRoster(strings.NewReader("\ufeffstudent_no,name,grade,class\nA1,Tom,1,1\n\n"), 1, 6)
	if err != nil || len(errs) != 0 || len(rows) != 1 || rows[0].Line != 2 {
		t.Fatalf("BOM + English header + blank line: %v %v %v", rows, errs, err)
	}
	// Errors name the line of the file, as an editor numbers it: blank lines count.
	_, errs, _ = ParseRoster(strings.NewReader("学号,姓名,年级,班级\nA1,张三,1,1\n\n\nA2,李四,9,1\n"), 1, 6)
	if len(errs) != 1 || errs[0].Line != 5 {
		t.Fatalf("line numbers after blank lines: %+v", errs)
	}
	if _, _, err := ParseRoster(strings.NewReader("学号,姓名\n1,张三\n"), 1, 6); err != ErrRosterHeader {
		t.Fatalf("missing columns: %v", err)
	}
	// The optional guardian phone column: normalised, empty allowed, a landline refused by line.
	rows, errs, err = ParseRoster(strings.NewReader("学号,姓名,年级,班级,家长手机\nA1,张三,1,1班,138 1234 5678\nA2,李四,1,1班,\nA3,王五,1,1班,021-5555\n"), 1, 6)
	if err != nil || len(rows) != 2 || len(errs) != 1 || errs[0].Line != 4 || errs[0].Field != "phone" || rows[1].Phone != "" {
		t.Fatalf("phone column: %+v %+v %v", rows, errs, err)
	}
	if rows[0].Phone != "+8613812345678" {
		t.Fatalf("phone with spaces: %q", rows[0].Phone)
	}
}

func TestPasswords(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil || !strings.HasPrefix(h, "$argon2id$") {
		t.Fatalf("hash = %q, %v", h, err)
	}
	if !CheckPassword("correct horse battery", h) || CheckPassword("wrong", h) || CheckPassword("x", "not a hash") {
		t.Fatal("password check")
	}
	if PasswordProblem("short") == "" || PasswordProblem("long enough pw") == "" || PasswordProblem("long enough pw 2") != "" ||
		PasswordProblem("kehou-demo-2026") != "" || PasswordProblem(" \t \t \t \t \t \t") == "" || PasswordProblem("1234567890") == "" {
		t.Fatal("password policy")
	}
}

func TestAllowsOwner(t *testing.T) {
	county := Scope{Role: RoleCounty, CountyID: "c1"}
	school := Scope{Role: RoleSchool, CountyID: "c1", SchoolID: "s1"}
	tests := []struct {
		name           string
		scope          Scope
		school, county string
		want           bool
	}{
		{"city owns all", Scope{Role: RoleCity}, "", "", true},
		{"county sees its school's", county, "s2", "c1", true},
		{"county sees its own", county, "", "c1", true},
		{"county not the city's", county, "", "", false},
		{"school sees its own", school, "s1", "c1", true},
		{"school not its county's", school, "", "c1", false},
		{"school not a sibling's", school, "s2", "c1", false},
	}
	for _, tt := range tests {
		if got := tt.scope.AllowsOwner(tt.school, tt.county); got != tt.want {
			t.Errorf("%s: AllowsOwner = %v", tt.name, got)
		}
	}
}
