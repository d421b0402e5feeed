package sqlite

import (
	"context"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// The store.Store methods that store/internal/sqlstore implements.

// CreateAPIToken implements store.Store.
func (s *Store) CreateAPIToken(ctx context.Context, t store.APIToken) error {
	return s.shared().CreateAPIToken(ctx, t)
}

// APITokenByHash implements store.Store.
func (s *Store) APITokenByHash(ctx context.Context, hash string) (store.APIToken, error) {
	return s.shared().APITokenByHash(ctx, hash)
}

// ListAPITokens implements store.Store.
func (s *Store) ListAPITokens(ctx context.Context) ([]store.APIToken, error) {
	return s.shared().ListAPITokens(ctx)
}

// RevokeAPIToken implements store.Store.
func (s *Store) RevokeAPIToken(ctx context.Context, id, by string,
	at time.Time) (bool, error) {
	return s.shared().RevokeAPIToken(ctx, id, by, at)
}

// TouchAPIToken implements store.Store.
func (s *Store) TouchAPIToken(ctx context.Context, id string, at time.Time) error {
	return s.shared().TouchAPIToken(ctx, id, at)
}

// AcquireSweepLease implements store.Store.
func (s *Store) AcquireSweepLease(ctx context.Context, sweep, owner string,
	now time.Time, ttl time.Duration) (bool, error) {
	return s.shared().AcquireSweepLease(ctx, sweep, owner, now, ttl)
}

// ReleaseSweepLease implements store.Store.
func (s *Store) ReleaseSweepLease(ctx context.Context, sweep, owner string) error {
	return s.shared().ReleaseSweepLease(ctx, sweep, owner)
}

// StartSweepRun implements store.Store.
func (s *Store) StartSweepRun(ctx context.Context, r store.SweepRun) (bool, error) {
	return s.shared().StartSweepRun(ctx, r)
}

// FinishSweepRun implements store.Store.
func (s *Store) FinishSweepRun(ctx context.Context, r store.SweepRun) error {
	return s.shared().FinishSweepRun(ctx, r)
}

// ListSweepRuns implements store.Store.
func (s *Store) ListSweepRuns(ctx context.Context, sweep string,
	limit int) ([]store.SweepRun, error) {
	return s.shared().ListSweepRuns(ctx, sweep, limit)
}

// PutLock implements store.Store.
func (s *Store) PutLock(ctx context.Context, l store.Lock) error {
	return s.shared().PutLock(ctx, l)
}

// ListLocks implements store.Store.
func (s *Store) ListLocks(ctx context.Context, now time.Time) ([]store.Lock, error) {
	return s.shared().ListLocks(ctx, now)
}

// LiftLock implements store.Store.
func (s *Store) LiftLock(ctx context.Context, id, by, reason string,
	at time.Time) (store.Lock, error) {
	return s.shared().LiftLock(ctx, id, by, reason, at)
}

// LockedBy implements store.Store.
func (s *Store) LockedBy(ctx context.Context, q store.LockQuery,
	now time.Time) ([]store.Lock, error) {
	return s.shared().LockedBy(ctx, q, now)
}
