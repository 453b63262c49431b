package testenv

import (
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"kehou/devstack"
	"kehou/store/engine"
)

// TestMongoSelection: without KEHOU_TEST_MONGO_URI the tests get a new embedded FerretDB and
// its tuning (or the production one with KEHOU_TEST_SWITCHES=production); with it they run on
// that server, a fresh database per test, in the production position. No MongoDB server is
// available here, so the "real" one is a FerretDB this test starts, reached by URI.
func TestMongoSelection(t *testing.T) {
	ctx := context.Background()
	t.Setenv(EnvSwitches, "")
	stop, err := connect("")
	if err != nil {
		t.Fatal(err)
	}
	if Stack() == nil || Tuning() != devstack.StoreTuning() {
		t.Errorf("embedded: stack %v, tuning %+v", Stack(), Tuning())
	}
	t.Setenv(EnvSwitches, "production")
	if Tuning() != engine.Production {
		t.Errorf("embedded with %s=production: tuning %+v", EnvSwitches, Tuning())
	}
	stop()

	other, err := devstack.Start(ctx, devstack.Options{Dir: t.TempDir(), Logger: Logger(), SnapshotEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	t.Setenv(EnvSwitches, "")
	if stop, err = connect(other.MongoURI()); err != nil {
		t.Fatal(err)
	}
	defer stop()
	if Stack() != nil || Tuning() != engine.Production {
		t.Errorf("on %s: stack %v, tuning %+v; want no embedded stack and the production tuning", EnvMongoURI, Stack(), Tuning())
	}
	var name string
	t.Run("fresh database", func(t *testing.T) {
		db := Mongo(t)
		name = db.Name()
		if _, err := db.Collection("c").InsertOne(ctx, bson.M{"_id": "x"}); err != nil {
			t.Fatal(err)
		}
		direct, err := mongo.Connect(devstack.MongoClientOptions(other.MongoURI()))
		if err != nil {
			t.Fatal(err)
		}
		defer direct.Disconnect(ctx)
		if n, err := direct.Database(name).Collection("c").CountDocuments(ctx, bson.M{}); err != nil || n != 1 {
			t.Fatalf("the server at the URI holds %d documents in %s (%v), want the test's 1", n, name, err)
		}
	})
	names, err := client.ListDatabaseNames(ctx, bson.M{"name": name})
	if err != nil || len(names) != 0 {
		t.Errorf("database %s still there after its test: %v (%v)", name, names, err)
	}

	t.Setenv(EnvSwitches, "fast")
	if _, err := connect(""); err == nil {
		t.Error("an unknown switch position must refuse to start")
	}
}
