package store

import (
	"context"
	"fmt"
	"slices"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kehou/models"
)

// childFilter selects the pupils whose guardians a notice reaches: the audience, always within
// the sender's own scope (checked at creation too, but a school moved to another county since
// must not widen an old notice).
func childFilter(n models.Notice) bson.M {
	scope := bson.M{}
	switch {
	case n.SchoolID != "":
		scope["school_id"] = n.SchoolID
	case n.CountyID != "":
		scope["county_id"] = n.CountyID
	}
	aud := bson.M{}
	a := n.Audience
	switch a.Kind {
	case models.AudienceSchools:
		aud["school_id"] = bson.M{"$in": a.SchoolIDs}
	case models.AudienceGrades:
		if len(a.SchoolIDs) > 0 {
			aud["school_id"] = bson.M{"$in": a.SchoolIDs}
		}
		aud["grade"] = bson.M{"$in": a.Grades}
	case models.AudienceClasses:
		or := bson.A{}
		for _, c := range a.Classes {
			or = append(or, bson.M{"school_id": c.SchoolID, "grade": c.Grade, "class": c.Class})
		}
		aud["$or"] = or
	case models.AudienceChildren:
		aud["_id"] = bson.M{"$in": a.ChildIDs}
	}
	switch {
	case len(scope) == 0:
		return aud
	case len(aud) == 0:
		return scope
	}
	return bson.M{"$and": bson.A{scope, aud}}
}

type idDoc struct {
	ID       string `bson:"_id"`
	MemberID string `bson:"member_id"`
}

// AudienceBatch resolves the next batch of the recipients of a notice that is not Streamable
// after cursor: up to limit receipts of a reminder, named members or volunteers' applications,
// in id order, so memory stays flat and an interrupted fan-out resumes at the cursor. done is
// true when nothing follows.
func (s *Store) AudienceBatch(ctx context.Context, n models.Notice, cursor string, limit int) (members []string, next string, done bool, err error) {
	switch n.Audience.Kind {
	case models.AudienceRemind:
		return s.remindBatch(ctx, n, cursor, limit)
	case models.AudienceMembers:
		return membersBatch(n.Audience.MemberIDs, cursor, limit)
	case models.AudienceVolunteers:
		return s.volunteersBatch(ctx, n, cursor, limit)
	}
	return nil, "", false, fmt.Errorf("audience %q: use StreamAudience", n.Audience.Kind)
}

func (s *Store) remindBatch(ctx context.Context, n models.Notice, cursor string, limit int) ([]string, string, bool, error) {
	field := "read_at"
	if n.Audience.Unconfirmed {
		field = "confirmed_at"
	}
	f := receiptsOf(n.Audience.NoticeID, cursor)
	f[field] = bson.M{"$exists": false}
	var rs []idDoc
	opts := options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(limit)).SetProjection(bson.M{"member_id": 1})
	if err := s.all(ctx, colReceipts, f, opts, &rs); err != nil {
		return nil, "", false, fmt.Errorf("reminder audience: %w", err)
	}
	if len(rs) == 0 {
		return nil, cursor, true, nil
	}
	members := make([]string, len(rs))
	for i, r := range rs {
		members[i] = r.MemberID
	}
	return members, rs[len(rs)-1].ID, len(rs) < limit, nil
}

func (s *Store) all(ctx context.Context, coll string, filter any, opts *options.FindOptionsBuilder, out any) error {
	cur, err := s.c(coll).Find(ctx, filter, opts)
	if err != nil {
		return err
	}
	return cur.All(ctx, out)
}

// membersBatch pages through a fixed list of members in id order.
func membersBatch(ids []string, cursor string, limit int) ([]string, string, bool, error) {
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	i, _ := slices.BinarySearch(sorted, cursor)
	if i < len(sorted) && sorted[i] == cursor {
		i++
	}
	end := min(i+limit, len(sorted))
	page := sorted[i:end]
	if len(page) == 0 {
		return nil, cursor, true, nil
	}
	return page, page[len(page)-1], end == len(sorted), nil
}

// volunteersBatch resolves the approved volunteers of a programme (the notice's sender must own
// it: a programme of another school reaches no one), through their applications in id order.
func (s *Store) volunteersBatch(ctx context.Context, n models.Notice, cursor string, limit int) ([]string, string, bool, error) {
	f := bson.M{"programme_id": n.Audience.ProgrammeID, "status": models.ApplicationApproved}
	switch {
	case n.SchoolID != "":
		f["school_id"] = n.SchoolID
	case n.CountyID != "":
		f["county_id"] = n.CountyID
	}
	if cursor != "" {
		f["_id"] = bson.M{"$gt": cursor}
	}
	var apps []models.Application
	opts := options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(limit)).SetProjection(bson.M{"volunteer_id": 1})
	if err := s.all(ctx, colApplications, f, opts, &apps); err != nil {
		return nil, "", false, fmt.Errorf("volunteer audience: %w", err)
	}
	if len(apps) == 0 {
		return nil, cursor, true, nil
	}
	var members []string
	for _, a := range apps {
		if !slices.Contains(members, a.VolunteerID) {
			members = append(members, a.VolunteerID)
		}
	}
	return members, apps[len(apps)-1].ID, len(apps) < limit, nil
}

// Streamable reports whether StreamAudience resolves the notice's audience: the guardians of
// pupils chosen by scope, school, grade, class or name, or by a survey's audience. Reminders of
// unread notices, member lists and volunteers page with AudienceBatch.
func Streamable(n models.Notice) bool {
	switch n.Audience.Kind {
	case models.AudienceScope, models.AudienceSchools, models.AudienceGrades, models.AudienceClasses, models.AudienceChildren,
		models.AudienceSurvey:
		return true
	}
	return false
}

// StreamAudience calls fn with a Streamable notice's recipients, up to size member ids at a
// time with the numbers their bindings carry (phones, by member id; see
// models.Guardianship.GuardianPhoneEnc), from one pass over the guardianships of the schools
// the notice may reach (and, for
// grades, classes and named pupils, one pass over the pupils first, keeping only their ids).
// One pass, not a sorted page per batch: the embedded FerretDB sorts and filters in memory, so
// each page used to read the whole school again (quadratic in the audience, and about 3.5 KiB
// of memory per pupil for the sort). A member reached through two pupils may come twice, in
// different calls; recipients and deliveries have ids derived from the member, so the second
// time adds nothing. An interrupted stream is simply run again.
func (s *Store) StreamAudience(ctx context.Context, n models.Notice, size int, fn func(members []string, phones map[string][]byte) error) error {
	// A survey's audience is its own, less the pupils whose family has answered: the answers
	// are read once (respondent keys only), not once per batch.
	var sv models.Survey
	var answered map[string]bool
	if n.Audience.Kind == models.AudienceSurvey {
		var err error
		if sv, err = s.Survey(ctx, n.Audience.SurveyID); err != nil {
			return fmt.Errorf("survey audience: %w", err)
		}
		answered = map[string]bool{}
		if err := each(ctx, s, colResponses, bson.M{"survey_id": sv.ID}, bson.M{"respondent": 1}, func(r models.Response) {
			answered[r.Respondent] = true
		}); err != nil {
			return fmt.Errorf("survey audience: %w", err)
		}
		n = models.Notice{SchoolID: sv.SchoolID, CountyID: sv.CountyID, Audience: sv.Audience}
	}
	gf, err := s.guardianScope(ctx, n)
	if err != nil {
		return err
	}
	var pupils map[string]bool // nil: every pupil of the schools
	switch n.Audience.Kind {
	case models.AudienceGrades, models.AudienceClasses, models.AudienceChildren:
		pupils = map[string]bool{}
		if err := each(ctx, s, colChildren, childFilter(n), bson.M{"_id": 1}, func(k idDoc) { pupils[k.ID] = true }); err != nil {
			return fmt.Errorf("audience pupils: %w", err)
		}
		if len(pupils) == 0 {
			return nil
		}
	}
	cur, err := s.c(colGuardians).Find(ctx, gf, options.Find().SetProjection(bson.M{"child_id": 1, "member_id": 1, "guardian_phone_enc": 1}).SetBatchSize(1000))
	if err != nil {
		return fmt.Errorf("audience guardians: %w", err)
	}
	defer cur.Close(ctx)
	chunk := make([]string, 0, size)
	seen := make(map[string]bool, size)
	phones := make(map[string][]byte, size)
	for cur.Next(ctx) {
		var g models.Guardianship
		if err := cur.Decode(&g); err != nil {
			return fmt.Errorf("audience guardians: %w", err)
		}
		if (pupils != nil && !pupils[g.ChildID]) || seen[g.MemberID] || (answered != nil && answered[s.RespondentKey(sv, g.ChildID)]) {
			continue
		}
		seen[g.MemberID] = true
		chunk = append(chunk, g.MemberID)
		if len(g.GuardianPhoneEnc) > 0 {
			phones[g.MemberID] = g.GuardianPhoneEnc
		}
		if len(chunk) == size {
			if err := fn(chunk, phones); err != nil {
				return err
			}
			chunk, seen, phones = chunk[:0], make(map[string]bool, size), make(map[string][]byte, size)
		}
	}
	if err := cur.Err(); err != nil {
		return fmt.Errorf("audience guardians: %w", err)
	}
	if len(chunk) > 0 {
		return fn(chunk, phones)
	}
	return nil
}

// guardianScope selects the guardianships of the schools a notice may reach, by the schools'
// current ids (a school moved to another county since must not widen an old notice).
func (s *Store) guardianScope(ctx context.Context, n models.Notice) (bson.M, error) {
	var schools []string
	limited := false
	switch {
	case n.SchoolID != "":
		schools, limited = []string{n.SchoolID}, true
	case n.CountyID != "":
		limited = true
		if err := each(ctx, s, colSchools, bson.M{"county_id": n.CountyID}, bson.M{"_id": 1}, func(d idDoc) { schools = append(schools, d.ID) }); err != nil {
			return nil, err
		}
	}
	if n.Audience.Kind == models.AudienceSchools || (n.Audience.Kind == models.AudienceGrades && len(n.Audience.SchoolIDs) > 0) {
		if limited {
			schools = slices.DeleteFunc(schools, func(id string) bool { return !slices.Contains(n.Audience.SchoolIDs, id) })
		} else {
			schools, limited = n.Audience.SchoolIDs, true
		}
	}
	switch {
	case !limited:
		return bson.M{}, nil
	case len(schools) == 1:
		return bson.M{"school_id": schools[0]}, nil
	}
	return bson.M{"school_id": bson.M{"$in": schools}}, nil
}
