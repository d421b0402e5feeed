package api

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// ListLocks lists the locks in force (or all of them) in the caller's
// scope, oldest first. Locks are few: they are filtered and paged here.
func (s *Server) ListLocks(ctx context.Context,
	req ListLocksRequestObject) (ListLocksResponseObject, error) {
	p := req.Params
	c, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	if p.TargetType != "" && !p.TargetType.Valid() {
		return nil, badParam("target_type", string(p.TargetType),
			"not principal, credential, device or origin")
	}
	limit, err := pageLimit(p.Limit)
	if err != nil {
		return nil, err
	}
	cur, err := decodeCursor(p.Cursor, listOf("locks", p))
	if err != nil {
		return nil, err
	}
	now := s.now()
	at := now
	if p.All {
		at = time.Time{}
	}
	ls, err := s.st.ListLocks(ctx, at)
	if err != nil {
		return nil, err
	}
	sortLocks(ls)
	sc := newScope(s.st, c)
	ls, err = collect(limit+1, once(ls, cur), func(l store.Lock) (bool, error) {
		if p.TargetType != "" && l.TargetType != string(p.TargetType) ||
			p.Target != "" && l.Target != p.Target {
			return false, nil
		}
		return sc.target(ctx, l.TargetType, l.Target)
	})
	if err != nil {
		return nil, err
	}
	ls, next := trim(ls, limit, listOf("locks", p),
		func(l store.Lock) cursor {
			return cursor{ID: l.ID, Time: l.CreatedAt}
		})
	page := ListLocks200JSONResponse{Items: make([]Lock, len(ls)),
		NextCursor: next}
	for i, l := range ls {
		page.Items[i] = lock(l, now)
	}
	return page, nil
}

// sortLocks orders locks by creation time, then id.
func sortLocks(ls []store.Lock) {
	slices.SortFunc(ls, func(a, b store.Lock) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// once is a fetch for collect over a list already in memory: the locks
// after the cursor, all at once.
func once(ls []store.Lock, cur cursor) func(*store.Lock) ([]store.Lock, error) {
	return func(after *store.Lock) ([]store.Lock, error) {
		if after != nil {
			return nil, nil
		}
		i := 0
		if cur.ID != "" {
			i = len(ls)
			for j, l := range ls {
				if c := l.CreatedAt.Compare(cur.Time); c > 0 ||
					c == 0 && l.ID > cur.ID {
					i = j
					break
				}
			}
		}
		return ls[i:], nil
	}
}

// lock is l as the API shows it at now.
func lock(l store.Lock, now time.Time) Lock {
	return Lock{ID: l.ID, TargetType: LockTargetType(l.TargetType),
		Target: l.Target, Reason: l.Reason, CreatedBy: l.CreatedBy,
		CreatedAt: l.CreatedAt, ExpiresAt: l.ExpiresAt,
		LiftedAt: l.LiftedAt, LiftedBy: l.LiftedBy,
		LiftReason: l.LiftReason, InForce: l.InForce(now)}
}
