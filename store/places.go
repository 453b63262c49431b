package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kehou/models"
)

// Places errors.
var (
	ErrBelowHeld   = errors.New("capacity below the places already confirmed")
	ErrPoolChanged = errors.New("the places changed meanwhile; try again")
)

// CreatePools stores new pools with all places free.
func (s *Store) CreatePools(ctx context.Context, pools []models.Pool) error {
	docs := make([]any, len(pools))
	for i, p := range pools {
		p.Free, p.Holders, p.Waiters, p.UpdatedAt = p.Capacity, []string{}, 0, s.now()
		docs[i] = p
	}
	if _, err := s.c(colPools).InsertMany(ctx, docs); err != nil {
		return fmt.Errorf("create pools: %w", err)
	}
	return nil
}

// Pool returns one pool.
func (s *Store) Pool(ctx context.Context, id string) (models.Pool, error) {
	return findOne[models.Pool](ctx, s.c(colPools), bson.M{"_id": id})
}

// PoolsOf returns an owner's pools by id.
func (s *Store) PoolsOf(ctx context.Context, ownerID string) (map[string]models.Pool, error) {
	var list []models.Pool
	if err := s.all(ctx, colPools, bson.M{"owner_id": ownerID}, nil, &list); err != nil {
		return nil, fmt.Errorf("pools: %w", err)
	}
	out := make(map[string]models.Pool, len(list))
	for _, p := range list {
		out[p.ID] = p
	}
	return out, nil
}

// Join signs a child up: when nobody is waiting and its party fits, it takes its places at once
// (confirmed); otherwise it joins the waiting list (the pool's waiting sign-ups, in the order
// they came) and Promote gives it places in turn. A child with an active sign-up for the same
// owner gets that one back (created false), whatever the concurrency: the unique index decides.
// The answer is the truth at the time: confirmed means the pool holds its places.
func (s *Store) Join(ctx context.Context, su models.SignUp) (models.SignUp, bool, error) {
	return s.join(ctx, su, false)
}

// JoinAhead signs a child up ahead of any waiting list: a lottery winner takes its place even
// when the waiting lists of the same draw were (partly) written by an earlier, interrupted run.
func (s *Store) JoinAhead(ctx context.Context, su models.SignUp) (models.SignUp, bool, error) {
	return s.join(ctx, su, true)
}

func (s *Store) join(ctx context.Context, su models.SignUp, ahead bool) (models.SignUp, bool, error) {
	now := s.now()
	su.ID, su.Status, su.Active, su.Places = NewID(), models.SignUpWaiting, "", 1+su.Companions
	su.CreatedAt, su.UpdatedAt = now, now
	// An open-day sign-up gets its short check-in code now, whether it is confirmed or waits
	// (the family is shown it once confirmed), so that promotion and repair need not know of
	// codes. The insert meets two unique indexes: the child's active sign-up, which gives that
	// one back, or (rarely) the event's codes, which draws another code and tries again.
	for attempt := 0; ; attempt++ {
		if su.Kind == "" {
			su.CheckinKey = models.CheckinKey(su.OwnerID, newCheckinCode())
		}
		err := insert(ctx, s.c(colSignUps), su)
		if errors.Is(err, ErrConflict) {
			existing, err := findOne[models.SignUp](ctx, s.c(colSignUps), bson.M{"owner_id": su.OwnerID, "child_id": su.ChildID, "active": ""})
			if errors.Is(err, ErrNotFound) && su.Kind == "" && attempt < codeAttempts {
				continue // the code was taken
			}
			return existing, false, err
		}
		if err != nil {
			return su, false, err
		}
		break
	}
	// The fast path: nobody waiting (or ahead of them) and enough free places.
	take := bson.M{"_id": su.PoolID, "closed": false, "waiters": 0, "free": bson.M{"$gte": su.Places}, "holders": bson.M{"$ne": su.ID}}
	if ahead {
		delete(take, "waiters")
	}
	res, err := s.c(colPools).UpdateOne(ctx, take,
		bson.M{"$inc": bson.M{"free": -su.Places}, "$push": bson.M{"holders": su.ID}, "$set": bson.M{"updated_at": s.now()}})
	if err != nil {
		return su, true, fmt.Errorf("take places: %w", err)
	}
	if res.MatchedCount == 1 {
		c, _, err := s.confirm(ctx, su.PoolID, su, false)
		return c, true, err
	}
	return su, true, s.countWaiters(ctx, su.PoolID, 1)
}

// countWaiters moves the pool's count of waiting sign-ups. The count only decides whether a
// newcomer may take free places directly (nobody waiting) or must queue; RepairPool recounts it.
func (s *Store) countWaiters(ctx context.Context, poolID string, by int) error {
	if _, err := s.c(colPools).UpdateOne(ctx, bson.M{"_id": poolID}, bson.M{"$inc": bson.M{"waiters": by}}); err != nil {
		return fmt.Errorf("count waiters: %w", err)
	}
	return nil
}

// SignUp returns one sign-up.
func (s *Store) SignUp(ctx context.Context, id string) (models.SignUp, error) {
	return findOne[models.SignUp](ctx, s.c(colSignUps), bson.M{"_id": id})
}

// Status reads a sign-up's standing from its pool (one small document, where the sign-up list
// is long): confirmed when the pool holds its places.
func (s *Store) Status(ctx context.Context, su models.SignUp) (models.SignUp, error) {
	p, err := s.Pool(ctx, su.PoolID)
	if err != nil {
		return su, err
	}
	if slices.Contains(p.Holders, su.ID) {
		su.Status = models.SignUpConfirmed
	}
	return su, nil
}

// promoter coalesces the promotions of one pool within this process. Rounds run one at a
// time; a caller whose request came before the start of a finished round has been served by it
// and returns at once, so a burst of sign-ups or cancellations reads the waiting list a few
// times rather than once each, and no caller runs more than one round (an earlier version let
// the running caller loop for everyone arriving meanwhile: in a 10,000-family opening burst a
// few requests ran past a minute). Promotions in other processes are safe too (every move of
// places is a conditional update of the pool), just not coalesced with these.
type promoter struct {
	round     sync.Mutex // held while a round runs
	mu        sync.Mutex // guards the counters
	requested uint64     // requests so far
	served    uint64     // every request up to this one has had a round start after it
}

// Promote gives free places to the pool's waiting sign-ups in the order they came, skipping
// (not dropping) parties that no longer fit, until none fits. A full pool costs one read. It
// returns the sign-ups it confirmed (none when a round run by another caller served it).
func (s *Store) Promote(ctx context.Context, poolID string) ([]models.SignUp, error) {
	v, _ := s.promoters.LoadOrStore(poolID, &promoter{})
	p := v.(*promoter)
	p.mu.Lock()
	p.requested++
	mine := p.requested
	p.mu.Unlock()

	p.round.Lock()
	defer p.round.Unlock()
	p.mu.Lock()
	if p.served >= mine {
		p.mu.Unlock()
		return nil, nil
	}
	upTo := p.requested // this round starts after every request made so far
	p.mu.Unlock()
	promoted, err := s.promoteOnce(ctx, poolID)
	if err == nil {
		p.mu.Lock()
		p.served = max(p.served, upTo)
		p.mu.Unlock()
	}
	return promoted, err
}

func (s *Store) promoteOnce(ctx context.Context, poolID string) ([]models.SignUp, error) {
	var promoted []models.SignUp
	for attempt := 0; attempt < 50; attempt++ {
		pool, err := s.Pool(ctx, poolID)
		if err != nil {
			return promoted, err
		}
		if pool.Closed || pool.Free == 0 {
			return promoted, nil
		}
		var waiting []models.SignUp
		f := bson.M{"pool_id": poolID, "status": models.SignUpWaiting}
		if err := s.all(ctx, colSignUps, f, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}), &waiting); err != nil {
			return promoted, fmt.Errorf("waiting list: %w", err)
		}
		changed := false
		for _, w := range waiting {
			if slices.Contains(pool.Holders, w.ID) { // held, but the status update was lost
				if su, ok, err := s.confirm(ctx, poolID, w, true); err != nil {
					return promoted, err
				} else if ok {
					promoted = append(promoted, su)
				}
				continue
			}
			if w.Places > pool.Free {
				continue
			}
			res, err := s.c(colPools).UpdateOne(ctx,
				bson.M{"_id": poolID, "closed": false, "free": bson.M{"$gte": w.Places}, "holders": bson.M{"$ne": w.ID}},
				bson.M{"$inc": bson.M{"free": -w.Places}, "$push": bson.M{"holders": w.ID}, "$set": bson.M{"updated_at": s.now()}})
			if err != nil {
				return promoted, fmt.Errorf("promote: %w", err)
			}
			if res.MatchedCount == 0 { // the pool changed meanwhile: read it again
				changed = true
				break
			}
			pool.Free -= w.Places
			pool.Holders = append(pool.Holders, w.ID)
			su, ok, err := s.confirm(ctx, poolID, w, true)
			if err != nil {
				return promoted, err
			}
			if ok {
				promoted = append(promoted, su)
			} else {
				pool.Free += w.Places // cancelled meanwhile: its places went back
			}
		}
		if !changed {
			return promoted, nil
		}
	}
	return promoted, ErrPoolChanged
}

// RepairPool makes the sign-ups agree with the pool, the truth of who holds places: a holder
// still marked waiting (a crash between taking the places and recording it) is confirmed, a
// holder that was cancelled gives its places back, and the waiting count is recounted; then
// free places are offered. The reconciler runs it on open pools.
func (s *Store) RepairPool(ctx context.Context, poolID string) ([]models.SignUp, error) {
	pool, err := s.Pool(ctx, poolID)
	if err != nil {
		return nil, err
	}
	var all []models.SignUp
	opts := options.Find().SetProjection(bson.M{"_id": 1, "pool_id": 1, "status": 1, "places": 1})
	if err := s.all(ctx, colSignUps, bson.M{"pool_id": poolID}, opts, &all); err != nil {
		return nil, fmt.Errorf("repair pool: %w", err)
	}
	byID, waiting := map[string]models.SignUp{}, 0
	for _, su := range all {
		byID[su.ID] = su
		if su.Status == models.SignUpWaiting && !slices.Contains(pool.Holders, su.ID) {
			waiting++
		}
	}
	var promoted []models.SignUp
	for _, id := range pool.Holders {
		su := byID[id]
		switch su.Status {
		case models.SignUpWaiting:
			if c, ok, err := s.confirm(ctx, poolID, su, false); err != nil {
				return promoted, err
			} else if ok {
				promoted = append(promoted, c)
			}
		case models.SignUpCancelled:
			if err := s.release(ctx, poolID, su); err != nil {
				return promoted, err
			}
		}
	}
	if _, err := s.c(colPools).UpdateOne(ctx, bson.M{"_id": poolID}, bson.M{"$set": bson.M{"waiters": waiting}}); err != nil {
		return promoted, fmt.Errorf("repair pool: %w", err)
	}
	more, err := s.Promote(ctx, poolID)
	return append(promoted, more...), err
}

// release gives a sign-up's places back, if it holds them.
func (s *Store) release(ctx context.Context, poolID string, su models.SignUp) error {
	_, err := s.c(colPools).UpdateOne(ctx, bson.M{"_id": poolID, "holders": su.ID},
		bson.M{"$inc": bson.M{"free": su.Places}, "$pull": bson.M{"holders": su.ID}, "$set": bson.M{"updated_at": s.now()}})
	if err != nil {
		return fmt.Errorf("release places: %w", err)
	}
	return nil
}

// confirm marks a holder's sign-up confirmed (queued: it was counted among the waiters). If it
// was cancelled meanwhile, its places go back to the pool and ok is false.
func (s *Store) confirm(ctx context.Context, poolID string, su models.SignUp, queued bool) (models.SignUp, bool, error) {
	now := s.now()
	var cur models.SignUp
	err := s.c(colSignUps).FindOneAndUpdate(ctx, bson.M{"_id": su.ID, "status": models.SignUpWaiting},
		bson.M{"$set": bson.M{"status": models.SignUpConfirmed, "confirmed_at": now, "updated_at": now}},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&cur)
	if errors.Is(err, mongo.ErrNoDocuments) {
		cur, err := s.SignUp(ctx, su.ID)
		if err != nil {
			return su, false, err
		}
		if cur.Status == models.SignUpCancelled {
			return cur, false, s.release(ctx, poolID, cur)
		}
		return cur, false, nil // confirmed by another request
	}
	if err != nil {
		return su, false, fmt.Errorf("confirm sign-up: %w", err)
	}
	if queued {
		return cur, true, s.countWaiters(ctx, poolID, -1)
	}
	return cur, true, nil
}

// CancelSignUp cancels a sign-up (waiting or confirmed), gives its places back and frees the
// child to sign up again. It returns the sign-up as cancelled and false if it already was.
func (s *Store) CancelSignUp(ctx context.Context, id string) (models.SignUp, bool, error) {
	now := s.now()
	var su models.SignUp
	err := s.c(colSignUps).FindOneAndUpdate(ctx,
		bson.M{"_id": id, "status": bson.M{"$in": bson.A{models.SignUpWaiting, models.SignUpConfirmed}}},
		bson.M{"$set": bson.M{"status": models.SignUpCancelled, "active": id, "cancelled_at": now, "updated_at": now}}).Decode(&su)
	if errors.Is(err, mongo.ErrNoDocuments) {
		cur, err := s.SignUp(ctx, id)
		return cur, false, err
	}
	if err != nil {
		return su, false, fmt.Errorf("cancel sign-up: %w", err)
	}
	was := su.Status
	su.Status, su.Active, su.CancelledAt, su.UpdatedAt = models.SignUpCancelled, id, now, now
	// Its places back if it held any (a waiting sign-up promoted a moment ago may; one about to
	// be promoted gives them back in confirm).
	if err := s.release(ctx, su.PoolID, su); err != nil {
		return su, true, err
	}
	if was == models.SignUpWaiting {
		return su, true, s.countWaiters(ctx, su.PoolID, -1)
	}
	return su, true, nil
}

// SetCapacity changes a pool's capacity, never below the places held.
func (s *Store) SetCapacity(ctx context.Context, poolID string, capacity int) (models.Pool, error) {
	for range 20 {
		p, err := s.Pool(ctx, poolID)
		if err != nil {
			return p, err
		}
		if capacity < p.Held() {
			return p, ErrBelowHeld
		}
		res, err := s.c(colPools).UpdateOne(ctx, bson.M{"_id": poolID, "capacity": p.Capacity, "free": p.Free},
			bson.M{"$set": bson.M{"capacity": capacity, "free": capacity - p.Held(), "updated_at": s.now()}})
		if err != nil {
			return p, fmt.Errorf("set capacity: %w", err)
		}
		if res.MatchedCount == 1 {
			p.Capacity, p.Free = capacity, capacity-p.Held()
			return p, nil
		}
	}
	return models.Pool{}, ErrPoolChanged
}

// ClosePool takes no more sign-ups into a pool (a cancelled session).
func (s *Store) ClosePool(ctx context.Context, poolID string) error {
	if _, err := s.c(colPools).UpdateOne(ctx, bson.M{"_id": poolID}, bson.M{"$set": bson.M{"closed": true, "updated_at": s.now()}}); err != nil {
		return fmt.Errorf("close pool: %w", err)
	}
	return nil
}

// SignUpsOf lists an owner's sign-ups, optionally of one pool and one status, page by page.
func (s *Store) SignUpsOf(ctx context.Context, ownerID, poolID, status string, p Page) ([]models.SignUp, string, error) {
	f := bson.M{"owner_id": ownerID}
	if poolID != "" {
		f["pool_id"] = poolID
	}
	if status != "" {
		f["status"] = status
	}
	return list(ctx, s.c(colSignUps), f, p, func(x models.SignUp) string { return x.ID })
}

// SignUpsOfMember lists a parent's sign-ups of one kind (events: ""; models.SignUpCare),
// newest last.
func (s *Store) SignUpsOfMember(ctx context.Context, memberID, kind string) ([]models.SignUp, error) {
	var out []models.SignUp
	f := bson.M{"member_id": memberID, "kind": kind}
	if kind == "" {
		f["kind"] = bson.M{"$exists": false}
	}
	if err := s.all(ctx, colSignUps, f, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}), &out); err != nil {
		return nil, fmt.Errorf("my sign-ups: %w", err)
	}
	return out, nil
}

// CheckIn records a confirmed sign-up's arrival, once: false when it was already checked in.
func (s *Store) CheckIn(ctx context.Context, id string) (bool, error) {
	now := s.now()
	res, err := s.c(colSignUps).UpdateOne(ctx,
		bson.M{"_id": id, "status": models.SignUpConfirmed, "checked_in_at": bson.M{"$exists": false}},
		bson.M{"$set": bson.M{"checked_in_at": now, "updated_at": now}})
	if err != nil {
		return false, fmt.Errorf("check in: %w", err)
	}
	return res.MatchedCount == 1, nil
}

// WaitingPosition is a waiting sign-up's place in its pool's waiting list (1 is next), in the
// order Promote serves it (by id, the order of arrival); 0 when it is not waiting.
func (s *Store) WaitingPosition(ctx context.Context, su models.SignUp) (int, error) {
	if su.Status != models.SignUpWaiting {
		return 0, nil
	}
	n, err := s.c(colSignUps).CountDocuments(ctx, bson.M{"pool_id": su.PoolID, "status": models.SignUpWaiting, "_id": bson.M{"$lt": su.ID}})
	if err != nil {
		return 0, fmt.Errorf("waiting position: %w", err)
	}
	return int(n) + 1, nil
}

// codeAttempts bounds the draws of a check-in code that is free in its event: with 10^7 codes
// even an event of 100,000 families takes a second draw once in a hundred.
const codeAttempts = 10

// newCheckinCode draws a code; tests replace it to make codes collide.
var newCheckinCode = models.NewCheckinCode

// EnsureCheckinCode gives an open-day sign-up stored before check-in codes existed a code of
// its own (a family sees it the next time it opens its sign-up) and returns the sign-up with
// it; one that has a code, or is of another kind, comes back as it is. Two requests racing
// agree on one code: only a sign-up without one is given one.
func (s *Store) EnsureCheckinCode(ctx context.Context, su models.SignUp) (models.SignUp, error) {
	if su.CheckinKey != "" || su.Kind != "" {
		return su, nil
	}
	for range codeAttempts {
		key := models.CheckinKey(su.OwnerID, newCheckinCode())
		res, err := s.c(colSignUps).UpdateOne(ctx, bson.M{"_id": su.ID, "checkin_key": bson.M{"$exists": false}}, bson.M{"$set": bson.M{"checkin_key": key}})
		if isDup(err) {
			continue
		}
		if err != nil {
			return su, fmt.Errorf("give check-in code: %w", err)
		}
		if res.MatchedCount == 0 { // given one meanwhile
			return s.SignUp(ctx, su.ID)
		}
		su.CheckinKey = key
		return su, nil
	}
	return su, ErrPoolChanged
}

// SignUpByCheckinCode finds an event's sign-up by its short check-in code, with one query on
// the unique index; ErrNotFound when no sign-up of the event has it.
func (s *Store) SignUpByCheckinCode(ctx context.Context, eventID, code string) (models.SignUp, error) {
	return findOne[models.SignUp](ctx, s.c(colSignUps), bson.M{"checkin_key": models.CheckinKey(eventID, code)})
}
