package main

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"kehou/models"
	"kehou/store"
)

// generate writes a year (July to June) of a city's data straight into the collections, in
// bulk, with deterministic variety (no randomness: runs are comparable). It returns how many
// documents of each kind it wrote.
func generate(ctx context.Context, db *mongo.Database, st *store.Store, o settings) (map[string]int, error) {
	counts := map[string]int{}
	yearStart := time.Date(2025, 7, 1, 0, 0, 0, 0, models.Shanghai).UTC()
	day := func(d int) time.Time { return yearStart.AddDate(0, 0, d%365) }
	var counties []models.County
	for i := range 10 {
		c := models.County{Name: fmt.Sprintf("第%d区", i+1)}
		if err := st.CreateCounty(ctx, &c); err != nil {
			return nil, err
		}
		counties = append(counties, c)
	}
	schools := make([]models.School, o.schools)
	var docs []any
	for i := range schools {
		loc := models.LocationUrban
		if i%3 == 0 {
			loc = models.LocationRural
		}
		schools[i] = models.School{ID: store.NewID(), CountyID: counties[i%10].ID, Name: fmt.Sprintf("第%04d小学", i), Location: loc,
			Stage: models.StagePrimary, CreatedAt: yearStart, UpdatedAt: yearStart}
		docs = append(docs, schools[i])
	}
	if err := insertAll(ctx, db.Collection("schools"), docs); err != nil {
		return nil, err
	}
	counts["schools"] = len(docs)

	// Plans: every school 5+2; extended categories 1 to 4 by school.
	docs = nil
	for i, sc := range schools {
		days := []models.ServiceDay{}
		for d := 1; d <= 5; d++ {
			days = append(days, models.ServiceDay{Weekday: d, Start: "16:30", End: "18:30"})
		}
		items := []models.PlanItem{{Category: "homework", Name: "作业", Provider: models.ProviderTeachers}, {Category: "sports", Name: "体育", Provider: models.ProviderTeachers}}
		for k := range 1 + i%4 {
			items = append(items, models.PlanItem{Category: models.ExtendedCategories[k], Name: "拓展", Provider: models.ProviderTeachers})
		}
		for _, term := range []string{"2025-autumn", "2026-spring"} {
			docs = append(docs, models.Plan{ID: models.PlanID(sc.ID, term), SchoolID: sc.ID, CountyID: sc.CountyID, Term: term, Days: days, Items: items, UpdatedAt: yearStart})
		}
	}
	if err := insertAll(ctx, db.Collection("plans"), docs); err != nil {
		return nil, err
	}
	counts["plans"] = len(docs)

	// Pupils and families: one bound parent per pupil, bound through the year.
	type fam struct{ child, member, school, county string }
	fams := make([]fam, o.families)
	var kids, gs []any
	for i := range fams {
		sc := schools[i%len(schools)]
		fams[i] = fam{store.NewID(), fmt.Sprintf("m%09d", i), sc.ID, sc.CountyID}
		kids = append(kids, models.Child{ID: fams[i].child, SchoolID: sc.ID, CountyID: sc.CountyID, StudentNo: fmt.Sprintf("S%09d", i),
			NameMasked: "张*", Grade: 1 + i%6, Class: fmt.Sprintf("%d班", 1+i%4), CreatedAt: yearStart, UpdatedAt: yearStart})
		gs = append(gs, models.Guardianship{ID: store.NewID(), ChildID: fams[i].child, MemberID: fams[i].member, SchoolID: sc.ID, CountyID: sc.CountyID, CreatedAt: day(i)})
	}
	if err := insertAll(ctx, db.Collection("children"), kids); err != nil {
		return nil, err
	}
	if err := insertAll(ctx, db.Collection("guardians"), gs); err != nil {
		return nil, err
	}
	counts["pupils"], counts["families"] = len(kids), len(gs)
	kids, gs = nil, nil

	// Quarterly satisfaction surveys, answered by a share of the families through the quarter.
	tmpl := models.SurveyTemplates["after_school_satisfaction"]
	for q := range o.surveys {
		opens := yearStart.AddDate(0, 3*q, 0)
		sv := models.Survey{ID: store.NewID(), Kind: models.SurveySatisfaction, Title: "满意度调查", Audience: models.Audience{Kind: models.AudienceScope},
			OpensAt: opens, ClosesAt: opens.AddDate(0, 3, 0), Anonymous: true, Status: models.SurveyClosed, Questions: tmpl.Copy(), CreatedAt: opens}
		if _, err := db.Collection("surveys").InsertOne(ctx, sv); err != nil {
			return nil, err
		}
		answering := int(float64(o.families) * o.answerShare)
		docs = nil
		for i := range answering {
			f := fams[(i*7+q)%len(fams)]
			docs = append(docs, models.Response{ID: store.NewResponseID(), SurveyID: sv.ID, Respondent: fmt.Sprintf("r%d-%d", q, i), CountyID: f.county,
				SchoolID: f.school, Grade: 1 + i%6, Answers: answers(tmpl, i), SubmittedAt: opens.Add(time.Duration(i%89) * 24 * time.Hour)})
		}
		if err := insertAll(ctx, db.Collection("survey_responses"), docs); err != nil {
			return nil, err
		}
		counts["survey answers"] += len(docs)
	}

	// Notices: each school's notices reach all its families; half of them confirm.
	docs = nil
	var receipts []any
	bySchool := map[string][]fam{}
	for _, f := range fams {
		bySchool[f.school] = append(bySchool[f.school], f)
	}
	for i, sc := range schools {
		for k := range o.notices {
			sent := day(i + k*61)
			n := models.Notice{ID: store.NewID(), SchoolID: sc.ID, CountyID: sc.CountyID, Sender: sc.Name, Kind: models.NoticeGeneral, Title: "通知", Body: "内容",
				Audience: models.Audience{Kind: models.AudienceScope}, Channels: []string{"wxsubscribe"}, SendAt: sent, Status: models.NoticeSent,
				Targeted: len(bySchool[sc.ID]), CreatedAt: sent, UpdatedAt: sent}
			docs = append(docs, n)
			for j, f := range bySchool[sc.ID] {
				r := models.Receipt{ID: models.ReceiptID(n.ID, f.member), MemberID: f.member}
				if j%2 == 0 {
					r.ConfirmedAt = sent.Add(time.Duration(1+j%48) * time.Hour)
				}
				receipts = append(receipts, r)
			}
		}
		if len(receipts) >= 50000 {
			if err := insertAll(ctx, db.Collection("receipts"), receipts); err != nil {
				return nil, err
			}
			counts["receipts"] += len(receipts)
			receipts = nil
		}
	}
	if err := insertAll(ctx, db.Collection("receipts"), receipts); err != nil {
		return nil, err
	}
	counts["receipts"] += len(receipts)
	if err := insertAll(ctx, db.Collection("notices"), docs); err != nil {
		return nil, err
	}
	counts["notices"] = len(docs)

	// Open days: two per school (a session each), a tenth of its families signed up, two thirds
	// of them checked in; summer care: one period per school in July.
	var pools, signups []any
	for i, sc := range schools {
		for k := range 2 {
			starts := day(i%200 + k*150)
			p := models.Pool{ID: store.NewID(), Kind: models.PoolEventSession, OwnerID: store.NewID(), Capacity: 100, StartsAt: starts, EndsAt: starts.Add(2 * time.Hour), Holders: []string{}, UpdatedAt: starts}
			pools = append(pools, p)
			for j, f := range bySchool[sc.ID] {
				if j%10 != k {
					continue
				}
				su := models.SignUp{ID: store.NewID(), PoolID: p.ID, OwnerID: p.OwnerID, ChildID: f.child, MemberID: f.member, SchoolID: sc.ID, CountyID: sc.CountyID,
					Places: 1, Status: models.SignUpConfirmed, Active: "", CreatedAt: starts, UpdatedAt: starts}
				if j%3 != 0 {
					su.CheckedInAt = starts.Add(10 * time.Minute)
				}
				su.Active = su.ID // unique (owner, child, active): the generated ones are all distinct anyway
				signups = append(signups, su)
			}
		}
	}
	if err := insertAll(ctx, db.Collection("pools"), pools); err != nil {
		return nil, err
	}
	if err := insertAll(ctx, db.Collection("signups"), signups); err != nil {
		return nil, err
	}
	counts["pools"], counts["sign-ups"] = len(pools), len(signups)

	// Complaints through the year: assigned to a school, most closed within a week.
	docs = nil
	for i := range o.complaints {
		sc := schools[i%len(schools)]
		recv := models.StartOfDay(day(i))
		c := models.Complaint{ID: store.NewID(), Source: models.Source12345, SourceRef: fmt.Sprintf("GD%07d", i), ReceivedOn: models.DayOf(recv), CountyID: sc.CountyID,
			SchoolID: sc.ID, Category: models.ComplaintCategories[i%len(models.ComplaintCategories)], Text: "诉求内容", Status: models.ComplaintClosed,
			Deadline: models.AddWorkingDays(recv, 5), Steps: []models.ComplaintStep{}, CreatedAt: recv, UpdatedAt: recv}
		c.SourceKey = c.Source + ":" + c.SourceRef
		if i%10 == 0 {
			c.Status = models.ComplaintInProgress
		} else {
			c.ClosedAt = recv.AddDate(0, 0, 1+i%9)
		}
		docs = append(docs, c)
	}
	if err := insertAll(ctx, db.Collection("complaints"), docs); err != nil {
		return nil, err
	}
	counts["complaints"] = len(docs)
	return counts, nil
}

// answers fills the template's rating-type questions with scores that vary by i.
func answers(t models.SurveyTemplate, i int) models.Answers {
	out := models.Answers{}
	for _, q := range t.Questions {
		score := 1 + (i+len(q.ID))%5
		switch q.Type {
		case models.QSingle:
			out[q.ID] = models.Answer{Choice: q.Options[i%len(q.Options)].ID}
		case models.QRating:
			out[q.ID] = models.Answer{Score: &score}
		case models.QMatrix:
			rows := make([]int, len(q.Rows))
			for k := range rows {
				rows[k] = 1 + (i+k)%5
			}
			out[q.ID] = models.Answer{Rows: rows}
		}
	}
	return out
}
