package models

// Staff roles, from the widest scope to the narrowest.
const (
	RoleCity   = "city"
	RoleCounty = "county"
	RoleSchool = "school"
)

// RoleEnum labels the staff roles.
var RoleEnum = NewEnum("staff_role", "StaffRole", "A staff account's level: the city, a county or a school.",
	L(RoleCity, "市级"), L(RoleCounty, "县（区）级"), L(RoleSchool, "学校"))

// Scope is what a staff member may see and change: the whole city, one county, or one school.
// A resource outside the scope must look exactly like a missing one (404), so callers ask the
// scope and turn "no" into not-found.
type Scope struct {
	Role     string `json:"role"`
	CountyID string `json:"county_id,omitempty"`
	SchoolID string `json:"school_id,omitempty"`
}

// AllowsCounty reports whether the scope covers everything in the county.
func (s Scope) AllowsCounty(countyID string) bool {
	switch s.Role {
	case RoleCity:
		return true
	case RoleCounty:
		return countyID != "" && s.CountyID == countyID
	}
	return false
}

// AllowsSchool reports whether the scope covers the school (which lies in countyID).
func (s Scope) AllowsSchool(schoolID, countyID string) bool {
	switch s.Role {
	case RoleCity:
		return true
	case RoleCounty:
		return countyID != "" && s.CountyID == countyID
	case RoleSchool:
		return schoolID != "" && s.SchoolID == schoolID
	}
	return false
}

// CanManageStaff reports whether the scope may create or change an account with scope other:
// only strictly below itself (a county admin manages its schools' admins, never another
// county admin), and the city admin manages everyone but cannot be out-ranked.
func (s Scope) CanManageStaff(other Scope) bool {
	switch s.Role {
	case RoleCity:
		return true
	case RoleCounty:
		return other.Role == RoleSchool && other.CountyID == s.CountyID
	}
	return false
}

// CanManageSchools reports whether the scope may create or edit schools (city and county admins).
func (s Scope) CanManageSchools() bool { return s.Role == RoleCity || s.Role == RoleCounty }

// AllowsOwner reports whether the scope covers something owned by a school (schoolID set), a
// county (only countyID set) or the city (neither): notices and group robots are owned so.
func (s Scope) AllowsOwner(schoolID, countyID string) bool {
	switch {
	case s.Role == RoleCity:
		return true
	case schoolID != "":
		return s.AllowsSchool(schoolID, countyID)
	case countyID != "":
		return s.AllowsCounty(countyID)
	}
	return false
}
