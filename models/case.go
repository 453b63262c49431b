package models

import (
	"fmt"
	"strings"
	"time"
)

// Typical cases (典型案例): schools submit good practice; the county and the city review it
// and feature the best, month by month.

// Case statuses.
const (
	CaseSubmitted = "submitted"
	CaseApproved  = "approved" // reviewed and accepted
	CaseReturned  = "returned" // sent back to the school with a note
	CaseFeatured  = "featured"
)

// CaseStatusNames are the statuses as staff read them.
var (
	CaseStatusEnum = NewEnum("case_status", "CaseStatus", "Where a good-practice case is in its review.",
		L(CaseSubmitted, "待审核"), L(CaseApproved, "已通过"), L(CaseReturned, "已退回"), L(CaseFeatured, "已推荐"))
	CaseStatusNames = CaseStatusEnum.Map()
)

// Case is a school's good-practice case.
type Case struct {
	ID           string    `bson:"_id" json:"id"`
	SchoolID     string    `bson:"school_id" json:"school_id"`
	CountyID     string    `bson:"county_id" json:"county_id"`
	School       string    `bson:"school" json:"school"`
	Title        string    `bson:"title" json:"title"`
	Text         string    `bson:"text" json:"text"`
	Images       []string  `bson:"images" json:"images"`
	Status       string    `bson:"status" json:"status"`
	ReviewNote   string    `bson:"review_note,omitempty" json:"review_note,omitempty"`
	ReviewedBy   string    `bson:"reviewed_by,omitempty" json:"-"`
	FeaturedBy   string    `bson:"featured_by,omitempty" json:"featured_by,omitempty"` // county or city
	FeatureMonth string    `bson:"feature_month,omitempty" json:"feature_month,omitempty"`
	SubmittedAt  time.Time `bson:"submitted_at" json:"submitted_at,omitzero"`
	UpdatedAt    time.Time `bson:"updated_at" json:"updated_at,omitzero"`
}

// Validate checks a case as a school writes it.
func (c Case) Validate() error {
	f := FieldErrors{}
	f.CheckText("title", c.Title, 60)
	f.CheckText("text", c.Text, 10000)
	if len(c.Images) > 20 {
		f.Add("images", "最多20张图片")
	}
	for i, u := range c.Images {
		if !strings.HasPrefix(u, "https://") || len(u) > 500 {
			f.Add(fmt.Sprintf("images[%d]", i), "图片应为 https:// 链接")
		}
	}
	return f.Err()
}
