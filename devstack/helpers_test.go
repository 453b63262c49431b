//go:build !noembed

package devstack

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
)

// startStack starts a stack in dir and closes it when the test ends.
// Closing twice is fine, so tests may also Close it themselves.
func startStack(t *testing.T, dir string, every time.Duration) *Stack {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	began := time.Now()
	s, err := Start(ctx, Options{
		Dir:           dir,
		Logger:        slog.New(slog.NewTextHandler(t.Output(), nil)),
		SnapshotEvery: every,
	})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Logf("Start took %v", time.Since(began).Round(time.Millisecond))
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// connectMongo returns a driver client for s, disconnected at test end.
func connectMongo(t *testing.T, s *Stack) *mongo.Client {
	t.Helper()
	c, err := mongo.Connect(MongoClientOptions(s.MongoURI()))
	if err != nil {
		t.Fatalf("mongo.Connect: %v", err)
	}
	t.Cleanup(func() { _ = c.Disconnect(context.Background()) })
	return c
}
