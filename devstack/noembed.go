//go:build noembed

package devstack

import "context"

// Stack is a running pair of stand-ins. In this build (-tags noembed) it
// cannot be created: Start always fails with ErrNotCompiled.
type Stack struct{}

// Start always returns ErrNotCompiled: this binary was built with -tags
// noembed, so production images do not carry FerretDB and miniredis.
func Start(ctx context.Context, opts Options) (*Stack, error) {
	return nil, ErrNotCompiled
}

// MongoURI returns "" in this build.
func (s *Stack) MongoURI() string { return "" }

// RedisAddr returns "" in this build.
func (s *Stack) RedisAddr() string { return "" }

// Snapshot returns ErrNotCompiled in this build.
func (s *Stack) Snapshot() error { return ErrNotCompiled }

// Close does nothing in this build.
func (s *Stack) Close() error { return nil }

// StopMongo does nothing in this build.
func (s *Stack) StopMongo() {}

// StopRedis does nothing in this build.
func (s *Stack) StopRedis() {}

// IndexIDs does nothing in this build: there is no embedded store to help.
func (s *Stack) IndexIDs(ctx context.Context, db string) error { return nil }
