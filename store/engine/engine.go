// Package engine holds the store's engine switches: the only places where kehou's store takes
// a different path on the embedded FerretDB than on MongoDB. They are few on purpose, and all
// of them are here, so that a test can put every one in its production position at once.
//
// The zero Tuning is the production position (MongoDB). devstack.StoreTuning says what the
// embedded engine wants; cmd/kehou applies it when it starts the embedded store, and
// devstack/testenv applies it in tests unless KEHOU_TEST_SWITCHES=production or
// KEHOU_TEST_MONGO_URI asks for the production position.
//
// It is a package of its own, below store and devstack, so that devstack and testenv can name
// a tuning without importing store (store's own tests import testenv).
package engine

// Tuning is the set of engine switches, chosen once when the store is opened.
type Tuning struct {
	// PointReads makes reads of many documents by id one {_id} lookup each instead of one
	// {_id: {$in}} query. FerretDB v1 answers only an exact {_id} filter from its index and
	// reads the whole collection for anything else, while on MongoDB $in is one indexed
	// round trip.
	PointReads bool
	// UniqueIndexesOnly makes EnsureIndexes create only the unique indexes. FerretDB v1 on
	// SQLite uses no secondary index for any query, so there a non-unique index costs every
	// insert and speeds up nothing, while a unique one still enforces its invariant (measured:
	// 100,000 receipts and delivery records inserted in 9.1 s instead of 10.7 s). MongoDB
	// needs every index.
	UniqueIndexesOnly bool
}

// Production is every switch in the position MongoDB wants (the zero Tuning).
var Production = Tuning{}
