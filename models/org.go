package models

import (
	"regexp"
	"time"
)

// County is a district or county education bureau under the city.
type County struct {
	ID        string    `bson:"_id" json:"id"`
	Name      string    `bson:"name" json:"name"`
	CreatedAt time.Time `bson:"created_at" json:"created_at,omitzero"`
}

// Validate checks a county's fields.
func (c County) Validate() error {
	f := FieldErrors{}
	f.CheckText("name", c.Name, 40)
	return f.Err()
}

// School locations.
const (
	LocationUrban = "urban"
	LocationRural = "rural"
)

// School stages.
const (
	StagePrimary  = "primary"
	StageJunior   = "junior"
	StageNineYear = "nine_year"
)

// LocationEnum and StageEnum label a school's location and stage.
var (
	LocationEnum = NewEnum("school_location", "SchoolLocation", "Whether a school is urban or rural (urban schools are expected to reach 2+3).",
		L(LocationUrban, "城区"), L(LocationRural, "农村"))
	StageEnum = NewEnum("school_stage", "SchoolStage", "A school's stage.",
		L(StagePrimary, "小学"), L(StageJunior, "初中"), L(StageNineYear, "九年一贯制"))
)

// School is a compulsory-education school in a county.
type School struct {
	ID       string `bson:"_id" json:"id"`
	CountyID string `bson:"county_id" json:"county_id"`
	Name     string `bson:"name" json:"name"`
	Location string `bson:"location" json:"location"`
	Stage    string `bson:"stage" json:"stage"`
	Address  string `bson:"address" json:"address"`
	Contact  string `bson:"contact" json:"contact"`
	Phone    string `bson:"phone" json:"phone"`
	// RequireBindCode makes parents give the child's one-time binding code (from the letter to
	// parents) in addition to student number and name.
	RequireBindCode bool      `bson:"require_bind_code" json:"require_bind_code"`
	CreatedAt       time.Time `bson:"created_at" json:"created_at,omitzero"`
	UpdatedAt       time.Time `bson:"updated_at" json:"updated_at,omitzero"`
}

var officePhone = regexp.MustCompile(`^[0-9+\-() ]{5,20}$`)

// Validate checks a school's fields.
func (s School) Validate() error {
	f := FieldErrors{}
	f.CheckText("county_id", s.CountyID, 64)
	f.CheckText("name", s.Name, 60)
	f.CheckEnum("location", s.Location, LocationEnum)
	f.CheckEnum("stage", s.Stage, StageEnum)
	f.CheckOptionalText("address", s.Address, 120)
	f.CheckOptionalText("contact", s.Contact, 40)
	if s.Phone != "" && !officePhone.MatchString(s.Phone) {
		f.Add("phone", MsgInvalid)
	}
	return f.Err()
}

// Grades a stage teaches: primary 1–6, junior 7–9, nine-year 1–9.
func (s School) Grades() (lo, hi int) {
	switch s.Stage {
	case StagePrimary:
		return 1, 6
	case StageJunior:
		return 7, 9
	}
	return 1, 9
}
