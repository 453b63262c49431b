package models

import "time"

// Monthly ledger report (月报): the figures of one month for every school, county and the city,
// built once (on the first day of the next month, or on demand for a past month) and stored,
// so they do not change when later data arrives.

// Figures are one level's figures for a month.
type Figures struct {
	Schools           int `bson:"schools" json:"schools"`
	PlansTwoPlusN     int `bson:"plans_two_plus_n" json:"plans_two_plus_n"` // 5+2 as well (models.Check)
	PlansFivePlusTwo  int `bson:"plans_five_plus_two" json:"plans_five_plus_two"`
	UrbanSchools      int `bson:"urban_schools" json:"urban_schools"`
	UrbanTwoPlusThree int `bson:"urban_two_plus_three" json:"urban_two_plus_three"`
	Pupils            int `bson:"pupils" json:"pupils"`     // on the rosters
	Families          int `bson:"families" json:"families"` // parent bindings at the month's end
	SurveyResponses   int `bson:"survey_responses" json:"survey_responses"`
	Satisfied         int `bson:"satisfied" json:"satisfied"` // answers rating the overall question 4–5 (Survey.SatisfactionQuestion)
	Rated             int `bson:"rated" json:"rated"`         // answers to the overall question
	Aware             int `bson:"aware" json:"aware"`
	AwareAsked        int `bson:"aware_asked" json:"aware_asked"`
	NoticesSent       int `bson:"notices_sent" json:"notices_sent"`
	NoticeRecipients  int `bson:"notice_recipients" json:"notice_recipients"`
	NoticesConfirmed  int `bson:"notices_confirmed" json:"notices_confirmed"` // receipts confirmed in the month
	OpenDaySignUps    int `bson:"open_day_signups" json:"open_day_signups"`   // confirmed, for sessions in the month
	OpenDayCheckIns   int `bson:"open_day_checkins" json:"open_day_checkins"`
	CarePlaces        int `bson:"care_places" json:"care_places"` // of periods starting in the month
	CareEnrolled      int `bson:"care_enrolled" json:"care_enrolled"`
	VolunteerMinutes  int `bson:"volunteer_minutes" json:"volunteer_minutes"` // credited, for shifts in the month
	ComplaintsNew     int `bson:"complaints_new" json:"complaints_new"`
	ComplaintsClosed  int `bson:"complaints_closed" json:"complaints_closed"`
	ComplaintsOverdue int `bson:"complaints_overdue" json:"complaints_overdue"` // open and past the deadline at the month's end
	LookBacks         int `bson:"look_backs" json:"look_backs"`                 // opened in the month
}

// Add adds o's counts to f.
func (f *Figures) Add(o Figures) {
	f.Schools += o.Schools
	f.PlansTwoPlusN += o.PlansTwoPlusN
	f.PlansFivePlusTwo += o.PlansFivePlusTwo
	f.UrbanSchools += o.UrbanSchools
	f.UrbanTwoPlusThree += o.UrbanTwoPlusThree
	f.Pupils += o.Pupils
	f.Families += o.Families
	f.SurveyResponses += o.SurveyResponses
	f.Satisfied += o.Satisfied
	f.Rated += o.Rated
	f.Aware += o.Aware
	f.AwareAsked += o.AwareAsked
	f.NoticesSent += o.NoticesSent
	f.NoticeRecipients += o.NoticeRecipients
	f.NoticesConfirmed += o.NoticesConfirmed
	f.OpenDaySignUps += o.OpenDaySignUps
	f.OpenDayCheckIns += o.OpenDayCheckIns
	f.CarePlaces += o.CarePlaces
	f.CareEnrolled += o.CareEnrolled
	f.VolunteerMinutes += o.VolunteerMinutes
	f.ComplaintsNew += o.ComplaintsNew
	f.ComplaintsClosed += o.ComplaintsClosed
	f.ComplaintsOverdue += o.ComplaintsOverdue
	f.LookBacks += o.LookBacks
}

// Headline rates of a level (nil when there is nothing to divide by).
func (f Figures) FivePlusTwoRate() *float64       { return ratio(f.PlansFivePlusTwo, f.Schools) }
func (f Figures) TwoPlusNRate() *float64          { return ratio(f.PlansTwoPlusN, f.Schools) }
func (f Figures) UrbanTwoPlusThreeRate() *float64 { return ratio(f.UrbanTwoPlusThree, f.UrbanSchools) }
func (f Figures) SatisfactionRate() *float64      { return ratio(f.Satisfied, f.Rated) }
func (f Figures) AwarenessRate() *float64         { return ratio(f.Aware, f.AwareAsked) }
func (f Figures) ConfirmRate() *float64           { return ratio(f.NoticesConfirmed, f.NoticeRecipients) }
func (f Figures) CoverageRate() *float64          { return ratio(f.Families, f.Pupils) }
func (f Figures) CheckInRate() *float64           { return ratio(f.OpenDayCheckIns, f.OpenDaySignUps) }
func (f Figures) CareTakeUpRate() *float64        { return ratio(f.CareEnrolled, f.CarePlaces) }

// LevelReport is one county's or school's figures.
type LevelReport struct {
	ID       string  `bson:"id" json:"id"`
	Name     string  `bson:"name" json:"name"`
	CountyID string  `bson:"county_id,omitempty" json:"county_id,omitempty"`
	Figures  Figures `bson:"figures" json:"figures"`
}

// MonthlyReport is a month's report at every level.
type MonthlyReport struct {
	ID       string        `bson:"_id" json:"month"` // "2026-11"
	BuiltAt  time.Time     `bson:"built_at" json:"built_at,omitzero"`
	City     Figures       `bson:"city" json:"city"`
	Counties []LevelReport `bson:"counties" json:"counties"`
	Schools  []LevelReport `bson:"schools" json:"schools"`
}

// MonthBounds parses "2026-11" into its start and the next month's start (Shanghai).
func MonthBounds(month string) (time.Time, time.Time, bool) {
	t, err := time.ParseInLocation("2006-01", month, Shanghai)
	if err != nil || t.Format("2006-01") != month {
		return time.Time{}, time.Time{}, false
	}
	return t.UTC(), t.AddDate(0, 1, 0).UTC(), true
}

// MonthOf is the month ("2026-11") t falls in, in Shanghai.
func MonthOf(t time.Time) string { return t.In(Shanghai).Format("2006-01") }
