package store

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Collection names.
const (
	colCounties     = "counties"
	colSchools      = "schools"
	colStaff        = "staff"
	colMembers      = "members"
	colSessions     = "sessions"
	colChildren     = "children"
	colGuardians    = "guardians"
	colAudit        = "audit"
	colIdempotency  = "idempotency"
	colNotices      = "notices"
	colRecords      = "delivery_records"
	colReceipts     = "receipts"
	colConsents     = "consents"
	colOutbox       = "outbox"
	colRobots       = "robots"
	colSurveys      = "surveys"
	colResponses    = "survey_responses"
	colDrafts       = "survey_drafts"
	colEvents       = "events"
	colPools        = "pools"
	colSignUps      = "signups"
	colProgrammes   = "programmes"
	colVolunteers   = "volunteers"
	colShifts       = "shifts"
	colApplications = "applications"
	colPlans        = "plans"
	colInstitutions = "institutions"
	colSelections   = "selections"
	colRequests     = "course_requests"
	colComplaints   = "complaints"
	colReports      = "monthly_reports"
	colLiveReports  = "live_reports"
	colCases        = "cases"
	colCounts       = "report_counts"
	colMemberBinds  = "member_bindings"
	colCalendars    = "calendars"
	colSendBatches  = "send_batches"
	colSendLocks    = "send_locks"
)

func unique(keys ...string) mongo.IndexModel {
	return mongo.IndexModel{Keys: keyDoc(keys), Options: options.Index().SetUnique(true)}
}

// uniqueWhenSet is a unique index on one field that documents may lack: sparse, so that MongoDB
// leaves them out of it (FerretDB ignores sparse, but its SQLite index holds a missing field as
// NULL, and NULLs never collide there).
func uniqueWhenSet(key string) mongo.IndexModel {
	return mongo.IndexModel{Keys: keyDoc([]string{key}), Options: options.Index().SetUnique(true).SetSparse(true)}
}

func plain(keys ...string) mongo.IndexModel { return mongo.IndexModel{Keys: keyDoc(keys)} }

func keyDoc(keys []string) bson.D {
	d := bson.D{}
	for _, k := range keys {
		d = append(d, bson.E{Key: k, Value: 1})
	}
	return d
}

// EnsureIndexes creates every index the invariants rely on. It is idempotent and runs at start.
func (s *Store) EnsureIndexes(ctx context.Context) error {
	want := map[string][]mongo.IndexModel{
		colCounties:     {unique("name")},
		colSchools:      {unique("name"), plain("county_id")},
		colStaff:        {unique("username"), plain("county_id"), plain("school_id")},
		colMembers:      {unique("openid"), plain("unionid"), plain("phone_hash")},
		colSessions:     {plain("subject_id"), plain("expires_at")},
		colChildren:     {unique("school_id", "student_no"), plain("county_id")},
		colGuardians:    {unique("child_id", "member_id"), plain("member_id"), plain("school_id")},
		colAudit:        {plain("school_id"), plain("county_id")},
		colIdempotency:  {plain("created_at")},
		colNotices:      {plain("school_id"), plain("county_id"), plain("status", "updated_at")},
		colRecords:      {plain("notice_id", "batch", "at", "_id")}, // the ledger is read in this order
		colReceipts:     {plain("member_id", "_id")},                // the inbox; a notice's receipts are an _id range
		colConsents:     {plain("member_id")},
		colOutbox:       {plain("group")},
		colSendBatches:  {plain("notice_id", "done"), plain("done", "updated_at")},
		colSendLocks:    {plain("at")},
		colRobots:       {plain("school_id"), plain("county_id")},
		colSurveys:      {plain("status", "closes_at"), plain("county_id"), plain("school_id")},
		colResponses:    {unique("survey_id", "respondent"), plain("survey_id", "school_id")},
		colDrafts:       {plain("survey_id")},
		colEvents:       {plain("school_id"), plain("county_id"), plain("status")},
		colPools:        {plain("owner_id")},
		colSignUps:      {unique("owner_id", "child_id", "active"), uniqueWhenSet("checkin_key"), plain("pool_id", "status"), plain("member_id"), plain("programme_id")},
		colProgrammes:   {plain("school_id"), plain("county_id"), plain("status")},
		colVolunteers:   {plain("county_id"), plain("school_id"), plain("phone_hash")},
		colShifts:       {plain("programme_id"), plain("starts_at")},
		colPlans:        {plain("school_id"), plain("county_id", "term"), plain("items.institution_id")},
		colInstitutions: {plain("county_id")},
		colSelections:   {plain("school_id"), plain("county_id")},
		colRequests:     {plain("selection_id"), plain("member_id")},
		colCases:        {plain("school_id"), plain("county_id"), plain("status", "feature_month")},
		colCounts:       {plain("month")},
		colMemberBinds:  {plain("ids")},
		colComplaints:   {unique("source_key"), plain("county_id", "status"), plain("school_id"), plain("member_id"), plain("status", "deadline")},
		colCountBatches: nil, // read by _id only; listed so that the embedded store creates it at start
		colApplications: {unique("shift_id", "volunteer_id", "active"), plain("volunteer_id", "year"), plain("school_id", "year"), plain("county_id", "year"), plain("programme_id")},
	}
	for name, models := range want {
		if s.tuning.UniqueIndexesOnly {
			// plain indexes have no options; unique ones do (see unique and plain).
			models = slices.DeleteFunc(slices.Clone(models), func(m mongo.IndexModel) bool { return m.Options == nil })
			// The collection is created all the same, with FerretDB's unique _id index, so
			// that the embedded store's set of tables is the same from the first start on.
			var ce mongo.CommandError
			if err := s.db.CreateCollection(ctx, name); err != nil && !(errors.As(err, &ce) && ce.Code == 48) { // 48: NamespaceExists
				return fmt.Errorf("create collection %s: %w", name, err)
			}
		}
		missing, err := s.missingIndexes(ctx, name, models)
		if err != nil {
			return err
		}
		if len(missing) == 0 {
			continue
		}
		if _, err := s.c(name).Indexes().CreateMany(ctx, missing); err != nil {
			return fmt.Errorf("ensure indexes on %s: %w", name, err)
		}
	}
	return nil
}

// indexNames lists a collection's indexes by name, sorted; none before the collection exists.
func (s *Store) indexNames(ctx context.Context, coll string) ([]string, error) {
	specs, err := s.c(coll).Indexes().ListSpecifications(ctx)
	var ce mongo.CommandError
	if errors.As(err, &ce) && ce.Code == 26 { // NamespaceNotFound: no collection yet
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list indexes on %s: %w", coll, err)
	}
	names := make([]string, len(specs))
	for i, sp := range specs {
		names[i] = sp.Name
	}
	slices.Sort(names)
	return names, nil
}

// missingIndexes leaves out the indexes that already exist. Asking FerretDB v1 (SQLite) to
// create an index that exists after a restart crashes its connection handler (measured here:
// "slice bounds out of range" on the second start), so only new ones are requested.
func (s *Store) missingIndexes(ctx context.Context, coll string, want []mongo.IndexModel) ([]mongo.IndexModel, error) {
	have, err := s.indexNames(ctx, coll)
	if err != nil {
		return nil, err
	}
	var out []mongo.IndexModel
	for _, m := range want {
		if !slices.Contains(have, indexName(m.Keys.(bson.D))) {
			out = append(out, m)
		}
	}
	return out, nil
}

// indexName is the driver's default name for an ascending index: field_1_field_1.
func indexName(keys bson.D) string {
	name := ""
	for i, k := range keys {
		if i > 0 {
			name += "_"
		}
		name += fmt.Sprintf("%s_%v", k.Key, k.Value)
	}
	return name
}
