package store

import (
	"context"

	"kehou/models"
)

// AppendAudit records a staff write. The audit collection is only ever inserted into; no code
// path updates or deletes it.
func (s *Store) AppendAudit(ctx context.Context, e *models.AuditEntry) error {
	e.ID = NewID()
	if e.At.IsZero() {
		e.At = s.now()
	}
	return insert(ctx, s.c(colAudit), e)
}

// Audit lists audit entries within a scope, oldest first.
func (s *Store) Audit(ctx context.Context, scope models.Scope, p Page) ([]models.AuditEntry, string, error) {
	return listNewest(ctx, s.c(colAudit), scopeFilter(scope, "school_id"), p, func(x models.AuditEntry) string { return x.ID })
}
