package devstack

import "kehou/store/engine"

// StoreTuning is the position of the store's engine switches that suits the embedded FerretDB
// v1: it answers only an exact {_id} filter from an index and uses no secondary index for any
// query, so reads by many ids go one {_id} lookup at a time and only the unique indexes (which
// hold invariants) are created. A real MongoDB takes engine.Production.
func StoreTuning() engine.Tuning {
	return engine.Tuning{PointReads: true, UniqueIndexesOnly: true}
}
