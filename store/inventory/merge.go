package inventory

import (
	"context"
	"errors"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// merger writes a file's records over what the registry holds, keeping
// what the registry learnt since and the file cannot know. An inventory
// is an export of what exists; killswitch's own findings (a revocation,
// a disabled principal, an exposure, when a record was first seen)
// outlive it, as they outlive an inventory sync (see inventorysync):
//
//   - a session or credential the registry holds revoked stays revoked,
//     with who revoked it and why, whatever the file says; it is counted
//     as kept unless the file says revoked too;
//   - a principal's status the file leaves out is the registry's (a
//     principal the engine disabled stays disabled until a file says
//     status: active);
//   - a creation time the file leaves out is the registry's, and the
//     import time only for a new record;
//   - of two exposures of a credential the earlier is kept, as an
//     alert's is (store.Inventory.MarkExposed), and a revocation effect
//     the file cannot give is the registry's.
type merger struct {
	ctx context.Context
	inv store.Inventory
	now time.Time
	n   *Counts
}

// principal writes p.
func (m merger) principal(p store.Principal) (bool, error) {
	old, _, err := held(m.inv.GetPrincipal(m.ctx, p.ID))
	if err != nil {
		return false, err
	}
	if p.Status == "" {
		p.Status = old.Status
	}
	p.CreatedAt = firstSet(p.CreatedAt, old.CreatedAt, m.now)
	return true, m.inv.PutPrincipal(m.ctx, p)
}

// credential writes c unless the registry holds it revoked.
func (m merger) credential(c store.Credential) (bool, error) {
	old, ok, err := held(m.inv.GetCredential(m.ctx, c.ID))
	if err != nil {
		return false, err
	}
	if old.Status == store.StatusRevoked {
		return m.keep(c.Status, &m.n.KeptCredentials)
	}
	if ok {
		c.Exposure = earlier(c.Exposure, old.Exposure)
		if c.Effect == "" {
			c.Effect = old.Effect
		}
	}
	c.CreatedAt = firstSet(c.CreatedAt, old.CreatedAt, m.now)
	return true, m.inv.PutCredential(m.ctx, c)
}

// session writes s unless the registry holds it revoked.
func (m merger) session(s store.Session) (bool, error) {
	old, _, err := held(m.inv.GetSession(m.ctx, s.ID))
	if err != nil {
		return false, err
	}
	if old.Status == store.StatusRevoked {
		return m.keep(s.Status, &m.n.KeptSessions)
	}
	if s.Effect == "" {
		s.Effect = old.Effect
	}
	s.CreatedAt = firstSet(s.CreatedAt, old.CreatedAt, m.now)
	return true, m.inv.PutSession(m.ctx, s)
}

// keep leaves a revoked record as the registry holds it. It counts as
// imported when the file says revoked too, else as kept.
func (m merger) keep(fileStatus string, kept *int) (bool, error) {
	if fileStatus == store.StatusRevoked {
		return true, nil
	}
	*kept++
	return false, nil
}

// held is a Get's answer with ErrNotFound as not found.
func held[T any](v T, err error) (T, bool, error) {
	if errors.Is(err, store.ErrNotFound) {
		var zero T
		return zero, false, nil
	}
	return v, err == nil, err
}

// firstSet is the first of ts that is not zero.
func firstSet(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

// earlier is the earlier of two exposures, either of which may be nil.
func earlier(a, b *store.Exposure) *store.Exposure {
	if a == nil || b != nil && b.At.Before(a.At) {
		return b
	}
	return a
}
