package store

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Page asks for the items after Cursor (an opaque id from the previous page), at most Limit.
type Page struct {
	Cursor string
	Limit  int
}

// MaxPageSize bounds one page so a slow phone never downloads a whole roster.
const MaxPageSize = 200

func (p Page) limit() int64 {
	switch {
	case p.Limit <= 0:
		return 50
	case p.Limit > MaxPageSize:
		return MaxPageSize
	}
	return int64(p.Limit)
}

// list returns one page of documents in id order and the cursor of the next page ("" at the
// end). ids are time-ordered, so new documents appear on later pages and none are skipped.
func list[T any](ctx context.Context, coll *mongo.Collection, filter bson.M, p Page, id func(T) string) ([]T, string, error) {
	return page(ctx, coll, filter, p, id, 1)
}

// listNewest returns one page newest first: the ledgers staff read from the top (notices,
// surveys, events, complaints, the audit log). A document created while someone pages appears
// at the top of a fresh first page, not in the middle of theirs.
func listNewest[T any](ctx context.Context, coll *mongo.Collection, filter bson.M, p Page, id func(T) string) ([]T, string, error) {
	return page(ctx, coll, filter, p, id, -1)
}

func page[T any](ctx context.Context, coll *mongo.Collection, filter bson.M, p Page, id func(T) string, order int) ([]T, string, error) {
	f := filter
	if p.Cursor != "" {
		op := "$gt"
		if order < 0 {
			op = "$lt"
		}
		f = bson.M{"$and": bson.A{filter, bson.M{"_id": bson.M{op: p.Cursor}}}}
	}
	n := p.limit()
	cur, err := coll.Find(ctx, f, options.Find().SetSort(bson.D{{Key: "_id", Value: order}}).SetLimit(n+1))
	if err != nil {
		return nil, "", fmt.Errorf("list %s: %w", coll.Name(), err)
	}
	items := []T{}
	if err := cur.All(ctx, &items); err != nil {
		return nil, "", fmt.Errorf("list %s: %w", coll.Name(), err)
	}
	next := ""
	if int64(len(items)) > n {
		items = items[:n]
		next = id(items[len(items)-1])
	}
	return items, next, nil
}
