package store

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"

	"kehou/models"
)

// countedGuardianship is a binding as stored: with the mark that its families counter moved
// (countonce.go). A binding without the mark was stored by a request that failed before
// counting it; the parent's repeat (bind again, or unbind) counts it.
type countedGuardianship struct {
	models.Guardianship `bson:",inline"`
	Counted             bool `bson:"counted,omitempty"`
}

// uncounted reports whether a stored binding still has to be counted: not marked, and made
// after the last recount (which counted what was on file).
func (s *Store) uncounted(ctx context.Context, g countedGuardianship) (bool, error) {
	if g.Counted {
		return false, nil
	}
	done, err := s.countedByRecount(ctx, g.CreatedAt)
	return !done, err
}

// countBinding adds a stored binding to its school's families in the month it was made, once,
// and marks it counted.
func (s *Store) countBinding(ctx context.Context, g models.Guardianship) error {
	d := countDelta{}
	countBindings(d, []models.Guardianship{g}, 1)
	if err := s.applyCountsOnce(ctx, opKey(opBind, g.ID), d); err != nil {
		return err
	}
	return s.markCounted(ctx, colGuardians, g.ID)
}

// removeBinding removes a binding and takes it off its school's families, once. The counter
// moves first: a failure after it leaves the binding on file with the removal applied, and the
// repeat (the parent unbinding again, a roster import run again) finds the binding, moves no
// counter twice, and removes it. A binding never counted is counted first, so that the two
// moves cancel out.
func (s *Store) removeBinding(ctx context.Context, g countedGuardianship) error {
	if todo, err := s.uncounted(ctx, g); err != nil {
		return err
	} else if todo {
		if err := s.countBinding(ctx, g.Guardianship); err != nil {
			return err
		}
	}
	d := countDelta{}
	countBindings(d, []models.Guardianship{g.Guardianship}, -1)
	if err := s.applyCountsOnce(ctx, opKey(opUnbind, g.ID), d); err != nil {
		return err
	}
	if _, err := s.c(colGuardians).DeleteOne(ctx, bson.M{"_id": g.ID}); err != nil {
		return fmt.Errorf("delete guardianship: %w", err)
	}
	return s.forgetBinding(ctx, g.MemberID, g.ID)
}

// countBindingBatch counts the bindings of a bulk insert (AddGuardianships) once: those just
// inserted, and, when the same batch ran before and did not finish counting, those it stored
// then (same id, member and child).
func (s *Store) countBindingBatch(ctx context.Context, key string, list []models.Guardianship, isNew []bool) error {
	var stored []models.Guardianship
	var earlier []string
	want := map[string]models.Guardianship{}
	for i, g := range list {
		if isNew[i] {
			stored = append(stored, g)
		} else {
			earlier = append(earlier, g.ID)
			want[g.ID] = g
		}
	}
	if len(earlier) > 0 {
		done, err := s.batchCounted(ctx, key)
		if err != nil || done {
			return err
		}
		found, err := byIDs[models.Guardianship](ctx, s, colGuardians, earlier)
		if err != nil {
			return fmt.Errorf("bindings of a retried batch: %w", err)
		}
		for _, g := range found {
			if w, ok := want[g.ID]; ok && w.MemberID == g.MemberID && w.ChildID == g.ChildID {
				stored = append(stored, g)
			}
		}
	}
	if len(stored) == 0 {
		return nil
	}
	d := countDelta{}
	countBindings(d, stored, 1)
	if err := s.applyCountsOnce(ctx, key, d); err != nil {
		return err
	}
	return s.markBatchCounted(ctx, key)
}
