package store

import (
	"context"
	"slices"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"kehou/devstack"
	"kehou/devstack/testenv"
	"kehou/models"
	"kehou/store/engine"
)

// TestEngineSwitches runs every engine switch in both positions, whatever position the run's
// other tests take (KEHOU_TEST_SWITCHES): the indexes EnsureIndexes creates
// (UniqueIndexesOnly) and how documents are read by many ids (PointReads), watched through
// the driver's command monitor.
func TestEngineSwitches(t *testing.T) {
	for name, tuning := range map[string]engine.Tuning{"production": engine.Production, "embedded": devstack.StoreTuning()} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			var mu sync.Mutex
			var finds []bson.Raw // the filters of the finds on members
			mon := &event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
				if e.CommandName == "find" && e.Command.Lookup("find").StringValue() == colMembers {
					mu.Lock()
					finds = append(finds, e.Command.Lookup("filter").Document())
					mu.Unlock()
				}
			}}
			client, err := mongo.Connect(testenv.ClientOptions().SetMonitor(mon))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = client.Disconnect(context.Background()) })
			s, err := New(client.Database(testenv.Mongo(t).Name()), testenv.Key())
			if err != nil {
				t.Fatal(err)
			}
			s.SetTuning(tuning)
			if err := s.EnsureIndexes(ctx); err != nil {
				t.Fatal(err)
			}

			idx, err := s.indexNames(ctx, colResponses)
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(idx)
			want := []string{"_id_", "survey_id_1_respondent_1", "survey_id_1_school_id_1"}
			if tuning.UniqueIndexesOnly {
				want = []string{"_id_", "survey_id_1_respondent_1"} // the unique one holds an invariant
			}
			if !slices.Equal(idx, want) {
				t.Errorf("survey_responses indexes %v, want %v", idx, want)
			}

			for _, id := range []string{"m1", "m2", "m3"} {
				if _, err := s.c(colMembers).InsertOne(ctx, bson.M{"_id": id, "openid": "o-" + id}); err != nil {
					t.Fatal(err)
				}
			}
			mu.Lock()
			finds = nil
			mu.Unlock()
			got, err := byIDs[models.Member](ctx, s, colMembers, []string{"m3", "gone", "m1"})
			if err != nil {
				t.Fatal(err)
			}
			ids := []string{}
			for _, m := range got {
				ids = append(ids, m.ID)
			}
			slices.Sort(ids)
			if !slices.Equal(ids, []string{"m1", "m3"}) {
				t.Errorf("read %v, want m1 and m3", ids)
			}
			mu.Lock()
			defer mu.Unlock()
			switch {
			case tuning.PointReads && len(finds) != 3:
				t.Errorf("point reads: %d finds %v, want one per id", len(finds), finds)
			case tuning.PointReads && finds[0].Lookup("_id").Type != bson.TypeString:
				t.Errorf("point read filter %v, want an exact _id", finds[0])
			case !tuning.PointReads && len(finds) != 1:
				t.Errorf("one query: %d finds %v, want 1", len(finds), finds)
			case !tuning.PointReads && finds[0].Lookup("_id", "$in").Type != bson.TypeArray:
				t.Errorf("query filter %v, want _id $in", finds[0])
			}
		})
	}
}
