package store

import (
	"context"
	"slices"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"kehou/devstack"
	"kehou/devstack/testenv"
)

// TestEnsureIndexesAcrossRestart: a second start on the same data must not ask FerretDB to
// create existing indexes again (it crashes the connection when asked).
func TestEnsureIndexesAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 2; i++ {
		stack, err := devstack.Start(context.Background(), devstack.Options{Dir: dir, Logger: testenv.Logger(), SnapshotEvery: -1})
		if err != nil {
			t.Fatal(err)
		}
		client, _ := mongo.Connect(devstack.MongoClientOptions(stack.MongoURI()))
		s, _ := New(client.Database("kehou"), testenv.Key())
		if err := s.EnsureIndexes(context.Background()); err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		client.Disconnect(context.Background())
		stack.Close()
	}
}

// TestEmbeddedIndexes: the embedded store gets the unique indexes only, and every collection
// is created at start even without one. (Reads by _id use FerretDB's own unique _id index:
// devstack's TestMongoIDLookupsUseIndex.)
func TestEmbeddedIndexes(t *testing.T) {
	ctx := context.Background()
	db := testenv.Mongo(t)
	s, err := New(db, testenv.Key())
	if err != nil {
		t.Fatal(err)
	}
	s.SetTuning(devstack.StoreTuning())
	if err := s.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	names, err := db.ListCollectionNames(ctx, bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{colReceipts, colRecords, colSendBatches, colSendLocks, colResponses} {
		if !slices.Contains(names, want) {
			t.Errorf("collection %s not created at start (have %v)", want, names)
		}
	}
	indexes := func(coll string) []string {
		names, err := s.indexNames(ctx, coll)
		if err != nil {
			t.Fatal(err)
		}
		return names
	}
	if got := indexes(colRecords); !slices.Equal(got, []string{"_id_"}) {
		t.Errorf("delivery_records indexes %v, want only _id_", got)
	}
	if got := indexes(colResponses); !slices.Contains(got, "survey_id_1_respondent_1") || len(got) != 2 {
		t.Errorf("survey_responses indexes %v, want _id_ and the unique (survey, respondent)", got)
	}
	// A second start finds everything in place.
	if err := s.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
}
