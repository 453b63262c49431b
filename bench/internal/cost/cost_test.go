package cost

import (
	"context"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kehou/devstack/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

// TestCounts: commands, documents written and Redis commands are counted as sent, and Since
// leaves only a phase's own.
func TestCounts(t *testing.T) {
	ctx := context.Background()
	m := New()
	client, err := mongo.Connect(testenv.ClientOptions().SetMonitor(m.Monitor(nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Disconnect(ctx)
	coll := client.Database(testenv.Mongo(t).Name()).Collection("c")
	if _, err := coll.InsertMany(ctx, []any{bson.M{"_id": 1}, bson.M{"_id": 2}, bson.M{"_id": 3}}); err != nil {
		t.Fatal(err)
	}
	before := m.Read()
	if _, err := coll.UpdateMany(ctx, bson.M{}, bson.M{"$set": bson.M{"x": 1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.UpdateOne(ctx, bson.M{"_id": 4}, bson.M{"$set": bson.M{"x": 1}}, options.UpdateOne().SetUpsert(true)); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.DeleteOne(ctx, bson.M{"_id": 1}); err != nil {
		t.Fatal(err)
	}
	if err := coll.FindOne(ctx, bson.M{"_id": 2}).Err(); err != nil {
		t.Fatal(err)
	}
	rdb := testenv.Redis(t, 3)
	rdb.AddHook(m.Hook())
	rdb.Set(ctx, "k", "v", 0)
	if _, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Incr(ctx, "a")
		p.Incr(ctx, "b")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	got := m.Read().Since(before)
	want := Counts{DBCommands: 4, DocsWritten: 3 + 1 + 1, RedisCommands: 3, RedisRoundTrips: 2}
	if got.DBCommands != want.DBCommands || got.DocsWritten != want.DocsWritten ||
		got.RedisCommands != want.RedisCommands || got.RedisRoundTrips != want.RedisRoundTrips {
		t.Fatalf("counted %+v, want %+v", got, want)
	}
	if got.ByName["update c"] != 2 || got.ByName["insert c"] != 0 {
		t.Fatalf("by name %v, want 2 updates and no insert after before", got.ByName)
	}
}
