package main

import (
	"context"
	"fmt"
	"log"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kehou/models"
	"kehou/store"
)

// Chunk sizes of the bulk writes. The roster import reads the school's pupils once per call,
// so it takes bigger chunks than the plain inserts.
const (
	rosterChunk = 5000
	insertChunk = 1000
)

// seeded is the audience the broadcast goes to, and how long building it took.
type seeded struct {
	School models.School
	Steps  []step // in order: roster, members, child ids, guardianships
	Total  time.Duration
}

type step struct {
	Name string
	Took time.Duration
}

// seed creates one school with n pupils, n parents with a phone number each, and one
// guardianship per pupil, through the store's bulk paths (ImportRoster, CreateMembers,
// AddGuardianships).
func seed(ctx context.Context, st *store.Store, db *mongo.Database, n int) (seeded, error) {
	var s seeded
	start := time.Now()
	lap := func(name string) {
		took := time.Since(start) - s.Total
		s.Steps = append(s.Steps, step{name, took})
		s.Total += took
		log.Printf("seed: %s done in %s", name, round(took))
	}
	c := models.County{Name: "基准区"}
	if err := st.CreateCounty(ctx, &c); err != nil {
		return s, err
	}
	s.School = models.School{CountyID: c.ID, Name: "基准实验小学", Location: models.LocationUrban, Stage: models.StagePrimary}
	if err := st.CreateSchool(ctx, &s.School); err != nil {
		return s, err
	}

	rows := make([]models.RosterRow, n)
	for i := range rows {
		rows[i] = models.RosterRow{Line: i + 2, StudentNo: studentNo(i), Name: fmt.Sprintf("学生%d", i),
			Grade: i%6 + 1, Class: fmt.Sprintf("%d班", i/6%8+1)}
	}
	for i := 0; i < n; i += rosterChunk {
		if _, err := st.ImportRoster(ctx, s.School, rows[i:min(i+rosterChunk, n)]); err != nil {
			return s, err
		}
	}
	lap("roster")

	members := make([]models.Member, 0, n)
	for i := 0; i < n; i += insertChunk {
		list := make([]store.NewMember, 0, insertChunk)
		for j := i; j < min(i+insertChunk, n); j++ {
			list = append(list, store.NewMember{OpenID: fmt.Sprintf("bench-openid-%07d", j), Phone: fmt.Sprintf("+86139%08d", j)})
		}
		ms, err := st.CreateMembers(ctx, list)
		if err != nil {
			return s, err
		}
		members = append(members, ms...)
	}
	lap("members")

	kids, err := childIDs(ctx, db, s.School.ID)
	if err != nil {
		return s, err
	}
	if len(kids) != n {
		return s, fmt.Errorf("seed: %d pupils in the school, want %d", len(kids), n)
	}
	lap("child ids")

	for i := 0; i < n; i += insertChunk {
		gs := make([]models.Guardianship, 0, insertChunk)
		for j := i; j < min(i+insertChunk, n); j++ {
			gs = append(gs, models.Guardianship{ChildID: kids[studentNo(j)], MemberID: members[j].ID,
				SchoolID: s.School.ID, CountyID: c.ID, Relation: "mother", GuardianPhoneEnc: members[j].PhoneEnc})
		}
		if err := st.AddGuardianships(ctx, gs); err != nil {
			return s, err
		}
	}
	lap("guardianships")
	return s, nil
}

func studentNo(i int) string { return fmt.Sprintf("B%07d", i) }

// childIDs maps student numbers to the ids ImportRoster gave the pupils. It reads the
// collection directly in one query: the store pages rosters 200 at a time, and on the embedded
// FerretDB every page is a scan of the whole collection.
func childIDs(ctx context.Context, db *mongo.Database, schoolID string) (map[string]string, error) {
	cur, err := db.Collection("children").Find(ctx, bson.M{"school_id": schoolID},
		options.Find().SetProjection(bson.M{"student_no": 1}))
	if err != nil {
		return nil, fmt.Errorf("read child ids: %w", err)
	}
	var docs []struct {
		ID        string `bson:"_id"`
		StudentNo string `bson:"student_no"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("read child ids: %w", err)
	}
	out := make(map[string]string, len(docs))
	for _, d := range docs {
		out[d.StudentNo] = d.ID
	}
	return out, nil
}
