package jobs

import (
	"context"

	"kehou/models"
)

// CoursePromotedNotice tells families that a course's waiting list gave their child a place.
func CoursePromotedNotice(sel models.Selection, courseID string, got []models.SignUp) models.Notice {
	name := ""
	if co := sel.Course(courseID); co != nil {
		name = co.Name
	}
	children := make([]string, len(got))
	for i, su := range got {
		children[i] = su.ChildID
	}
	return models.Notice{Kind: models.NoticeGeneral, Title: models.Truncate("候补成功："+name, models.MaxNoticeTitle),
		Body: "您的孩子在“" + sel.Title + "”中候补的课程“" + name + "”有名额空出，已为您确认。", Link: "pages/selection/detail?id=" + sel.ID,
		Audience: models.Audience{Kind: models.AudienceChildren, ChildIDs: children}, Channels: append([]string{}, FamilyChannels...),
		AuthorID: sel.AuthorID, CountyID: sel.CountyID, SchoolID: sel.SchoolID, Sender: sel.Sender, Urgent: true}
}

// afterCoursePromotion ends the promoted children's waits that their new course rules out (a
// clash in time, the limits) and returns the notice that tells their families.
func (h *Handlers) afterCoursePromotion(ctx context.Context, selectionID, courseID string, got []models.SignUp) (models.Notice, error) {
	sel, err := h.Store.Selection(ctx, selectionID)
	if err != nil {
		return models.Notice{}, err
	}
	if err := EndRuledOutWaits(ctx, h.Store, sel, got); err != nil {
		return models.Notice{}, err
	}
	return CoursePromotedNotice(sel, courseID, got), nil
}

// waitEnder is the store's part of EndRuledOutWaits.
type waitEnder interface {
	EndRuledOutWaits(ctx context.Context, selectionID, childID string, courses map[string]models.DrawCourse, rules models.SelectionRules) error
}

// EndRuledOutWaits ends, for each promoted child, its waits for courses it can no longer take.
func EndRuledOutWaits(ctx context.Context, st waitEnder, sel models.Selection, got []models.SignUp) error {
	courses := map[string]models.DrawCourse{}
	for _, dc := range sel.DrawCourses() {
		courses[dc.ID] = dc
	}
	for _, su := range got {
		if err := st.EndRuledOutWaits(ctx, sel.ID, su.ChildID, courses, sel.Rules); err != nil {
			return err
		}
	}
	return nil
}
