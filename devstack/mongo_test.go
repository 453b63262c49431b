//go:build !noembed

package devstack

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
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

// TestMongoPullAll covers the patched $pullAll of third_party/ferretdb: pulling strings
// removes every copy of each and nothing else (a number 1 is not the string "1"), and pulling
// values of other types still goes by comparison.
func TestMongoPullAll(t *testing.T) {
	ctx := context.Background()
	s := startStack(t, t.TempDir(), -1)
	coll := connectMongo(t, s).Database("kehou").Collection("send_batches")
	doc := bson.D{{Key: "_id", Value: "b1"}, {Key: "open", Value: bson.A{"m1", "m2", "1", 1, "m1", "m3", bson.D{{Key: "k", Value: "m2"}}, "m4"}}}
	if _, err := coll.InsertOne(ctx, doc); err != nil {
		t.Fatal(err)
	}
	pull := func(values bson.A) bson.A {
		t.Helper()
		var got struct {
			Open bson.A `bson:"open"`
		}
		err := coll.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: "b1"}}, bson.D{{Key: "$pullAll", Value: bson.D{{Key: "open", Value: values}}}},
			options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&got)
		if err != nil {
			t.Fatal(err)
		}
		return got.Open
	}
	want := bson.A{"m2", int32(1), "m3", bson.D{{Key: "k", Value: "m2"}}}
	if got := pull(bson.A{"m1", "1", "m4", "m9"}); !equalJSON(t, got, want) {
		t.Errorf("after pulling strings: %v, want %v", got, want)
	}
	want = bson.A{"m2", "m3", bson.D{{Key: "k", Value: "m2"}}}
	if got := pull(bson.A{1}); !equalJSON(t, got, want) {
		t.Errorf("after pulling a number: %v, want %v", got, want)
	}
}

func equalJSON(t *testing.T, a, b bson.A) bool {
	t.Helper()
	ja, err := bson.MarshalExtJSON(bson.D{{Key: "v", Value: a}}, false, false)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := bson.MarshalExtJSON(bson.D{{Key: "v", Value: b}}, false, false)
	if err != nil {
		t.Fatal(err)
	}
	return string(ja) == string(jb)
}

// TestMongoIDLookupsUseIndex: FerretDB answers a find by _id from the unique _id index
// (third_party/ferretdb patch 3), and a data directory that still holds the extra _id index
// older versions of kehou added loses it at the next start.
func TestMongoIDLookupsUseIndex(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := startStack(t, dir, -1)
	client := connectMongo(t, s)
	db := client.Database("kehou")
	if _, err := db.Collection("receipts").InsertOne(ctx, bson.D{{Key: "_id", Value: "n1:m1"}}); err != nil {
		t.Fatal(err)
	}
	plan := func(db *mongo.Database) string {
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
	if p := plan(db); !strings.Contains(p, "USING INDEX receipts_") || !strings.Contains(p, "__id_") {
		t.Errorf("find by _id does not use the _id index: %s", p)
	}

	// A directory from before: the extra index on the old lookup expression.
	_ = client.Disconnect(ctx)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	sqlitePath := filepath.Join(dir, "mongo", "kehou.sqlite")
	conn, err := sql.Open("sqlite", "file:"+sqlitePath)
	if err != nil {
		t.Fatal(err)
	}
	var table string
	if err := conn.QueryRow(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'receipts%'`).Scan(&table); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(fmt.Sprintf(`CREATE INDEX %q ON %q (_ferretdb_sjson->'$._id')`, table+"_kehou_id_path", table)); err != nil {
		t.Fatal(err)
	}
	conn.Close()

	s = startStack(t, dir, -1)
	if p := plan(connectMongo(t, s).Database("kehou")); !strings.Contains(p, "__id_") {
		t.Errorf("after restart, find by _id: %s", p)
	}
	conn, err = sql.Open("sqlite", "file:"+sqlitePath)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var left int
	if err := conn.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name LIKE '%kehou_id_path'`).Scan(&left); err != nil || left != 0 {
		t.Errorf("legacy _id indexes left after start: %d, %v", left, err)
	}
}
