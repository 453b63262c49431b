package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kehou/models"
)

// RespondentKey is what makes one answer per child per survey (a unique index). For an
// anonymous survey it is a keyed hash of survey and child that only the server, holding the
// key, can compute: no stored answer names a family, and staff cannot recompute the link.
func (s *Store) RespondentKey(sv models.Survey, childID string) string {
	if sv.Anonymous {
		return s.sealer.Hash("survey-respondent", sv.ID+"|"+childID)
	}
	return "child:" + childID
}

// ReceiptID is the receipt a family is given for its answer (and the answer's task id on the
// queue). It is the same for every submission for the same child, so a repeat gets the first
// receipt. It is never stored with the answer, which has a random id of its own: a receipt a
// parent shows around cannot be matched to a stored answer.
func (s *Store) ReceiptID(sv models.Survey, childID string) string {
	return s.sealer.Hash("survey-receipt", sv.ID+"|"+childID)[:32]
}

// NewResponseID is a stored answer's id: random, so that it carries neither a family nor, as a
// time-ordered id would, the moment of answering.
func NewResponseID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// storedResponse is an answer as stored: with the tag of the batch that stored it, which a run
// of the same batch recognises and no other batch does. The tag is a keyed hash of the batch and
// the answer, so the stored answers do not show which of them came in together.
type storedResponse struct {
	models.Response `bson:",inline"`
	BatchTag        string `bson:"batch_tag"`
}

func (s *Store) batchTag(key, responseID string) string {
	return s.sealer.Hash("answer-batch", key+"|"+responseID)[:16]
}

// InsertResponses stores answers, ignoring those whose respondent already answered (a retried
// batch, or a repeat that reached the queue twice), and counts them for the monthly report
// exactly once: a batch run again (asynq retries the task after an error, or runs it again
// after a worker died) counts its own answers that an earlier run stored but did not finish
// counting, and nothing twice. An answer that reaches the workers in two batches (asynq gives
// a group's tasks back when its aggregator dies between enqueuing their batch and dropping
// them) is counted by the batch that stored it. It returns how many were new.
func (s *Store) InsertResponses(ctx context.Context, rs []models.Response) (int, error) {
	ids := make([]string, len(rs))
	for i := range rs {
		ids[i] = rs[i].ID
	}
	key := batchKey(opAnswers, ids)
	docs := make([]any, len(rs))
	for i := range rs {
		docs[i] = storedResponse{Response: rs[i], BatchTag: s.batchTag(key, rs[i].ID)}
	}
	isNew, n, err := s.insertNew(ctx, colResponses, docs)
	if err != nil {
		return 0, err
	}
	stored, err := s.batchAnswers(ctx, key, rs, isNew)
	if err != nil || len(stored) == 0 {
		return n, err
	}
	d := countDelta{}
	if err := s.countResponses(ctx, d, stored, map[string]*models.Survey{}); err != nil {
		return n, err
	}
	if err := s.applyCountsOnce(ctx, key, d); err != nil {
		return n, err
	}
	return n, s.markBatchCounted(ctx, key)
}

// batchAnswers returns the answers this batch stored and has still to count: those just
// inserted, and, when the batch ran before (some were already on file) and did not finish
// counting, those an earlier run of it inserted (by their tag). An answer on file stored by
// another batch is that batch's to count.
func (s *Store) batchAnswers(ctx context.Context, key string, rs []models.Response, isNew []bool) ([]models.Response, error) {
	var stored []models.Response
	var earlier []string
	for i, r := range rs {
		if isNew[i] {
			stored = append(stored, r)
		} else {
			earlier = append(earlier, r.ID)
		}
	}
	if len(earlier) == 0 {
		return stored, nil
	}
	if done, err := s.batchCounted(ctx, key); err != nil || done {
		return nil, err
	}
	found, err := byIDs[storedResponse](ctx, s, colResponses, earlier)
	if err != nil {
		return nil, fmt.Errorf("answers of a retried batch: %w", err)
	}
	for _, r := range found {
		if r.BatchTag == s.batchTag(key, r.ID) {
			stored = append(stored, r.Response)
		}
	}
	return stored, nil
}

// ResponseOf returns the stored answer of a respondent (RespondentKey) to a survey.
func (s *Store) ResponseOf(ctx context.Context, surveyID, respondent string) (models.Response, error) {
	return findOne[models.Response](ctx, s.c(colResponses), bson.M{"survey_id": surveyID, "respondent": respondent})
}

// Answered returns which of respondents (RespondentKey values) have a stored answer to a survey.
func (s *Store) Answered(ctx context.Context, surveyID string, respondents []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(respondents) == 0 {
		return out, nil
	}
	var docs []struct {
		Respondent string `bson:"respondent"`
	}
	f := bson.M{"survey_id": surveyID, "respondent": bson.M{"$in": respondents}}
	if err := s.all(ctx, colResponses, f, options.Find().SetProjection(bson.M{"respondent": 1}), &docs); err != nil {
		return nil, fmt.Errorf("answered: %w", err)
	}
	for _, d := range docs {
		out[d.Respondent] = true
	}
	return out, nil
}

// ResponseCounts counts a survey's answers within scope per school.
func (s *Store) ResponseCounts(ctx context.Context, surveyID string, scope models.Scope) (map[string]int, error) {
	cur, err := s.c(colResponses).Aggregate(ctx, bson.A{
		bson.M{"$match": responseScope(surveyID, scope)},
		bson.M{"$group": bson.M{"_id": "$school_id", "n": bson.M{"$sum": 1}}},
	})
	if err != nil {
		return nil, fmt.Errorf("response counts: %w", err)
	}
	var rows []struct {
		School string `bson:"_id"`
		N      int    `bson:"n"`
	}
	if err := cur.All(ctx, &rows); err != nil {
		return nil, fmt.Errorf("response counts: %w", err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.School] = r.N
	}
	return out, nil
}

// responseScope limits a survey's answers to what staff of scope may see.
func responseScope(surveyID string, scope models.Scope) bson.M {
	f := scopeFilter(scope, "school_id")
	f["survey_id"] = surveyID
	return f
}

// EachResponse streams a survey's answers within scope (never holding them all).
func (s *Store) EachResponse(ctx context.Context, surveyID string, scope models.Scope, fn func(models.Response) error) error {
	cur, err := s.c(colResponses).Find(ctx, responseScope(surveyID, scope))
	if err != nil {
		return fmt.Errorf("responses: %w", err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var r models.Response
		if err := cur.Decode(&r); err != nil {
			return fmt.Errorf("decode response: %w", err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return cur.Err()
}

// CountResponses counts a survey's answers within scope.
func (s *Store) CountResponses(ctx context.Context, surveyID string, scope models.Scope) (int, error) {
	n, err := s.c(colResponses).CountDocuments(ctx, responseScope(surveyID, scope))
	if err != nil {
		return 0, fmt.Errorf("count responses: %w", err)
	}
	return int(n), nil
}

// TextAnswer is one text answer as staff read it: the school, never the family.
type TextAnswer struct {
	Cursor   string `json:"-"`
	SchoolID string `json:"school_id"`
	Question string `json:"question"`
	Text     string `json:"text"`
	Other    bool   `json:"other,omitempty"` // the text of an "other" option
}

// TextAnswers pages through the text answers to one question within scope, from the given
// schools only (callers pass those with enough answers to keep a text from singling a family
// out), optionally only those containing search (plain text, not a pattern).
func (s *Store) TextAnswers(ctx context.Context, surveyID string, scope models.Scope, schools []string, q models.Question, search string, p Page) ([]TextAnswer, string, error) {
	field := "answers." + q.ID + ".text"
	other := q.Type == models.QSingle || q.Type == models.QMultiple
	if other {
		field = "answers." + q.ID + ".other"
	}
	f := responseScope(surveyID, scope)
	f["$and"] = bson.A{bson.M{"school_id": bson.M{"$in": schools}}}
	cond := bson.M{"$exists": true, "$ne": ""}
	if search != "" {
		cond = bson.M{"$regex": regexp.QuoteMeta(search)}
	}
	f[field] = cond
	rs, next, err := list(ctx, s.c(colResponses), f, p, func(x models.Response) string { return x.ID })
	if err != nil {
		return nil, "", err
	}
	out := make([]TextAnswer, 0, len(rs))
	for _, r := range rs {
		a := r.Answers[q.ID]
		t := TextAnswer{SchoolID: r.SchoolID, Question: q.ID, Text: a.Text, Other: other}
		if other {
			t.Text = a.Other
		}
		out = append(out, t)
	}
	return out, next, nil
}

// SurveyDraft is a parent's unfinished answer, kept until they submit.
type SurveyDraft struct {
	ID        string         `bson:"_id" json:"-"`
	SurveyID  string         `bson:"survey_id" json:"survey_id"`
	Answers   models.Answers `bson:"answers" json:"answers"`
	UpdatedAt time.Time      `bson:"updated_at" json:"updated_at,omitzero"`
}

func (s *Store) draftID(sv models.Survey, childID string) string {
	return s.sealer.Hash("survey-draft", sv.ID+"|"+childID)[:32]
}

// SaveDraft keeps a parent's unfinished answers for a child (the last save wins).
func (s *Store) SaveDraft(ctx context.Context, sv models.Survey, childID string, a models.Answers) error {
	id := s.draftID(sv, childID)
	_, err := s.c(colDrafts).UpdateOne(ctx, bson.M{"_id": id},
		bson.M{"$set": bson.M{"survey_id": sv.ID, "answers": a, "updated_at": s.now()}}, options.UpdateOne().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("save draft: %w", err)
	}
	return nil
}

// Draft returns the saved answers for a child, or ErrNotFound.
func (s *Store) Draft(ctx context.Context, sv models.Survey, childID string) (models.Answers, error) {
	d, err := findOne[SurveyDraft](ctx, s.c(colDrafts), bson.M{"_id": s.draftID(sv, childID)})
	return d.Answers, err
}

// DraftsExist returns which children of the list have a draft of sv.
func (s *Store) DraftsExist(ctx context.Context, sv models.Survey, childIDs []string) (map[string]bool, error) {
	ids := make([]string, len(childIDs))
	byID := map[string]string{}
	for i, c := range childIDs {
		ids[i] = s.draftID(sv, c)
		byID[ids[i]] = c
	}
	var docs []idDoc
	if err := s.all(ctx, colDrafts, bson.M{"_id": bson.M{"$in": ids}}, options.Find().SetProjection(bson.M{"_id": 1}), &docs); err != nil {
		return nil, fmt.Errorf("drafts: %w", err)
	}
	out := map[string]bool{}
	for _, d := range docs {
		out[byID[d.ID]] = true
	}
	return out, nil
}
