package store

import (
	"context"
	"testing"

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
