package models

// SurveyTemplate is a ready-made survey that a school or county publishes as is or after edits.
type SurveyTemplate struct {
	Name        string     `json:"name"`
	Kind        string     `json:"kind"`
	Title       string     `json:"title"`
	Description string     `json:"description"`
	Anonymous   bool       `json:"anonymous"`
	Questions   []Question `json:"questions"`
}

// Copy returns the template's questions as a new slice that may be changed freely.
func (t SurveyTemplate) Copy() []Question {
	out := make([]Question, len(t.Questions))
	for i, q := range t.Questions {
		q.Options = append([]Option(nil), q.Options...)
		q.Labels = append([]string(nil), q.Labels...)
		q.Rows = append([]string(nil), q.Rows...)
		if q.ShowIf != nil {
			c := *q.ShowIf
			c.Options = append([]string(nil), c.Options...)
			q.ShowIf = &c
		}
		out[i] = q
	}
	return out
}

// SurveyTemplates are the templates offered in the console, by name.
var SurveyTemplates = map[string]SurveyTemplate{
	"after_school_satisfaction": afterSchoolSatisfaction(),
}

// afterSchoolSatisfaction is the bureau's satisfaction survey of after-school services: one
// awareness question, ratings of each service, overall satisfaction, and room for suggestions.
// It is anonymous: parents answer more frankly, and the bureau needs rates, not names.
func afterSchoolSatisfaction() SurveyTemplate {
	rating := func(id, title string) Question {
		return Question{ID: id, Type: QRating, Title: title, Required: true, Labels: DefaultRatingLabels}
	}
	return SurveyTemplate{
		Name:        "after_school_satisfaction",
		Kind:        SurveySatisfaction,
		Title:       "课后服务家长满意度调查",
		Description: "为了解课后服务开展情况，请您根据孩子参加课后服务的实际感受作答。问卷匿名，约需2分钟。",
		Anonymous:   true,
		Questions: []Question{
			{ID: "aware", Type: QSingle, Title: "您是否了解学校提供的课后服务（时间、内容、自愿参加）？", Required: true, Options: []Option{
				{ID: "A", Label: "非常了解", Aware: true}, {ID: "B", Label: "基本了解", Aware: true}, {ID: "C", Label: "不了解"}}},
			{ID: "joined", Type: QSingle, Title: "孩子是否参加了学校的课后服务？", Required: true, Options: []Option{
				{ID: "A", Label: "参加"}, {ID: "B", Label: "未参加"}}},
			{ID: "services", Type: QMatrix, Title: "请对以下各项课后服务评分", Required: true, Labels: DefaultRatingLabels,
				Rows:   []string{"作业辅导", "体育活动", "拓展活动（科普、文艺、劳动、阅读、社团等）", "教师与服务人员", "安全管理"},
				ShowIf: &ShowIf{Question: "joined", Options: []string{"A"}}},
			rating("overall", "总体而言，您对学校课后服务的满意程度"),
			{ID: "why_not", Type: QMultiple, Title: "孩子未参加课后服务的原因", MinPicks: 1, MaxPicks: 3,
				ShowIf: &ShowIf{Question: "joined", Options: []string{"B"}}, Options: []Option{
					{ID: "A", Label: "家中有人接送照看"}, {ID: "B", Label: "服务内容不合适"}, {ID: "C", Label: "时间安排不合适"},
					{ID: "D", Label: "其他", Other: true}}},
			{ID: "suggest", Type: QLongText, Title: "您对课后服务有什么意见和建议？", MaxLength: 500},
		},
	}
}
