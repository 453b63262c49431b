//go:build !noembed

package devstack

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

func TestMongoURI(t *testing.T) {
	s := startStack(t, t.TempDir(), -1)
	if uri := s.MongoURI(); !strings.HasPrefix(uri, "mongodb://127.0.0.1:") || !strings.HasSuffix(uri, "/") {
		t.Errorf("MongoURI() = %q, want mongodb://127.0.0.1:<port>/", uri)
	}
}

func TestMongoDataSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()

	s := startStack(t, dir, -1)
	client := connectMongo(t, s)
	coll := client.Database("kehou").Collection("surveys")
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: "s1"}, {Key: "title", Value: "满意度调查"}}); err != nil {
		t.Fatalf("InsertOne: %v", err)
	}
	// Disconnecting first spares Close FerretDB's 3 s grace period.
	if err := client.Disconnect(ctx); err != nil {
		t.Fatalf("Disconnect: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = startStack(t, dir, -1)
	coll = connectMongo(t, s).Database("kehou").Collection("surveys")
	var got struct {
		Title string `bson:"title"`
	}
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: "s1"}}).Decode(&got); err != nil {
		t.Fatalf("FindOne after restart: %v", err)
	}
	if got.Title != "满意度调查" {
		t.Errorf("title after restart = %q, want %q", got.Title, "满意度调查")
	}
}

func TestMongoUniqueIndexEnforced(t *testing.T) {
	ctx := context.Background()
	s := startStack(t, t.TempDir(), -1)
	coll := connectMongo(t, s).Database("kehou").Collection("responses")

	_, err := coll.Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys:    bson.D{{Key: "survey_id", Value: 1}, {Key: "respondent", Value: 1}},
		Options: options.Index().SetUnique(true),
	})
	if err != nil {
		t.Fatalf("CreateOne index: %v", err)
	}
	doc := bson.D{{Key: "survey_id", Value: "s1"}, {Key: "respondent", Value: "p1"}}
	if _, err := coll.InsertOne(ctx, doc); err != nil {
		t.Fatalf("first InsertOne: %v", err)
	}
	_, err = coll.InsertOne(ctx, doc)
	if !mongo.IsDuplicateKeyError(err) {
		t.Fatalf("second InsertOne error = %v, want a duplicate key error", err)
	}
	other := bson.D{{Key: "survey_id", Value: "s1"}, {Key: "respondent", Value: "p2"}}
	if _, err := coll.InsertOne(ctx, other); err != nil {
		t.Errorf("InsertOne of another respondent: %v", err)
	}
}

func TestStopMongoFailsPing(t *testing.T) {
	s := startStack(t, t.TempDir(), -1)
	c := connectMongo(t, s)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Ping(ctx, nil); err != nil {
		t.Fatalf("Ping before StopMongo: %v", err)
	}
	s.StopMongo()
	s.StopMongo() // idempotent

	began := time.Now()
	err := c.Ping(ctx, nil)
	if err == nil {
		t.Fatal("Ping after StopMongo succeeded, want an error")
	}
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
		t.Errorf("Ping after StopMongo hit the test deadline instead of failing on its own: %v", err)
	}
	t.Logf("Ping after StopMongo failed after %v: %v", time.Since(began).Round(time.Millisecond), err)
}

// TestMongoIDLookupsUseIndex: upstream FerretDB answers a find by _id with a scan of the
// collection's table until IndexIDs adds the index on its lookup expression, and IndexIDs can
// run again without harm.
func TestMongoIDLookupsUseIndex(t *testing.T) {
	ctx := context.Background()
	s := startStack(t, t.TempDir(), -1)
	db := connectMongo(t, s).Database("kehou")
	if _, err := db.Collection("receipts").InsertOne(ctx, bson.D{{Key: "_id", Value: "n1:m1"}}); err != nil {
		t.Fatal(err)
	}
	plan := func() string {
		t.Helper()
		var res bson.M
		cmd := bson.D{{Key: "explain", Value: bson.D{{Key: "find", Value: "receipts"}, {Key: "filter", Value: bson.D{{Key: "_id", Value: "n1:m1"}}}}}}
		if err := db.RunCommand(ctx, cmd).Decode(&res); err != nil {
			t.Fatal(err)
		}
		out, err := bson.MarshalExtJSON(res["queryPlanner"], false, false)
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	for range 2 {
		if err := s.IndexIDs(ctx, "kehou"); err != nil {
			t.Fatal(err)
		}
	}
	// FerretDB's connection notices the new schema at its next statement; an EXPLAIN alone
	// may still show the plan it had prepared before.
	var got bson.M
	if err := db.Collection("receipts").FindOne(ctx, bson.D{{Key: "_id", Value: "n1:m1"}}).Decode(&got); err != nil {
		t.Fatalf("find after IndexIDs: %v", err)
	}
	if p := plan(); !strings.Contains(p, "USING INDEX") || !strings.Contains(p, "kehou_id_path") {
		t.Errorf("after IndexIDs, find by _id does not use the added index: %s", p)
	}
	if err := s.IndexIDs(ctx, "absent"); err != nil {
		t.Errorf("IndexIDs of a database not yet created: %v", err)
	}
}
