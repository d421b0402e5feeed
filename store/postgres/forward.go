package postgres

import (
	"context"
	"encoding/json"
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

// AppendAudit implements store.Store.
func (s *Store) AppendAudit(ctx context.Context, entries ...store.AuditEntry) error {
	return s.shared().AppendAudit(ctx, entries...)
}

// ListAudit implements store.Store.
func (s *Store) ListAudit(ctx context.Context,
	f store.AuditFilter) ([]store.AuditEntry, error) {
	return s.shared().ListAudit(ctx, f)
}

// ClaimActions implements store.Store.
func (s *Store) ClaimActions(ctx context.Context, owner string,
	now time.Time, lease time.Duration, limit int) ([]store.Action, error) {
	return s.shared().ClaimActions(ctx, owner, now, lease, limit)
}

// FinishAction implements store.Store.
func (s *Store) FinishAction(ctx context.Context, id, state string,
	result json.RawMessage, lastErr string, audit []store.AuditEntry) error {
	return s.shared().FinishAction(ctx, id, state, result, lastErr, audit)
}

// RetryAction implements store.Store.
func (s *Store) RetryAction(ctx context.Context, id, lastErr string,
	notBefore time.Time) error {
	return s.shared().RetryAction(ctx, id, lastErr, notBefore)
}

// GetAction implements store.Store.
func (s *Store) GetAction(ctx context.Context, id string) (store.Action, error) {
	return s.shared().GetAction(ctx, id)
}

// ListActions implements store.Store.
func (s *Store) ListActions(ctx context.Context,
	f store.ActionFilter) ([]store.Action, error) {
	return s.shared().ListActions(ctx, f)
}

// RecordSignal implements store.Store.
func (s *Store) RecordSignal(ctx context.Context, rec store.SignalRecord,
	actions []store.Action, audit []store.AuditEntry) (bool, error) {
	return s.shared().RecordSignal(ctx, rec, actions, audit)
}

// GetSignal implements store.Store.
func (s *Store) GetSignal(ctx context.Context, id string) (store.SignalRecord, error) {
	return s.shared().GetSignal(ctx, id)
}

// ListSignals implements store.Store.
func (s *Store) ListSignals(ctx context.Context,
	limit int) ([]store.SignalRecord, error) {
	return s.shared().ListSignals(ctx, limit)
}

// FindSignals implements store.Store.
func (s *Store) FindSignals(ctx context.Context,
	f store.SignalFilter) ([]store.SignalRecord, error) {
	return s.shared().FindSignals(ctx, f)
}

// RecordGuarded implements store.Store.
func (s *Store) RecordGuarded(ctx context.Context, rec store.SignalRecord,
	actions []store.Action, budgets []store.Budget, now time.Time,
	audit store.GuardAudit) (bool, []store.Action, []store.Trip, error) {
	return s.shared().RecordGuarded(ctx, rec, actions, budgets, now, audit)
}

// DecideApproval implements store.Store.
func (s *Store) DecideApproval(ctx context.Context, id string,
	v store.Verdict, audit func(store.Action) []store.AuditEntry) (store.Action, error) {
	return s.shared().DecideApproval(ctx, id, v, audit)
}

// ExpireApprovals implements store.Store.
func (s *Store) ExpireApprovals(ctx context.Context, now time.Time,
	by string, budgets []store.Budget,
	audit store.GuardAudit) ([]store.Action, []store.Trip, error) {
	return s.shared().ExpireApprovals(ctx, now, by, budgets, audit)
}

// EnqueueDeliveries implements store.Store.
func (s *Store) EnqueueDeliveries(ctx context.Context, ds []store.Delivery) error {
	return s.shared().EnqueueDeliveries(ctx, ds)
}

// ClaimDeliveries implements store.Store.
func (s *Store) ClaimDeliveries(ctx context.Context,
	c store.DeliveryClaim) ([]store.Delivery, error) {
	return s.shared().ClaimDeliveries(ctx, c)
}

// FinishDeliveries implements store.Store.
func (s *Store) FinishDeliveries(ctx context.Context, streamID string,
	ids []string, state, lastErr string, at time.Time) (int, error) {
	return s.shared().FinishDeliveries(ctx, streamID, ids, state, lastErr, at)
}

// RetryDelivery implements store.Store.
func (s *Store) RetryDelivery(ctx context.Context, streamID, id,
	lastErr string, notBefore time.Time) error {
	return s.shared().RetryDelivery(ctx, streamID, id, lastErr, notBefore)
}

// ListDeliveries implements store.Store.
func (s *Store) ListDeliveries(ctx context.Context,
	f store.DeliveryFilter) ([]store.Delivery, error) {
	return s.shared().ListDeliveries(ctx, f)
}

// ExpireDeliveries implements store.Store.
func (s *Store) ExpireDeliveries(ctx context.Context, cutoff time.Time,
	lastErr string, at time.Time) (int, error) {
	return s.shared().ExpireDeliveries(ctx, cutoff, lastErr, at)
}

// PruneDeliveries implements store.Store.
func (s *Store) PruneDeliveries(ctx context.Context, cutoff time.Time) (int, error) {
	return s.shared().PruneDeliveries(ctx, cutoff)
}

// RecordExposure implements store.Store.
func (s *Store) RecordExposure(ctx context.Context,
	e store.ExposureRecord) (store.ExposureRecord, error) {
	return s.shared().RecordExposure(ctx, e)
}

// ListExposures implements store.Store.
func (s *Store) ListExposures(ctx context.Context,
	f store.ExposureFilter) ([]store.ExposureRecord, error) {
	return s.shared().ListExposures(ctx, f)
}

// SetExposureValidity implements store.Store.
func (s *Store) SetExposureValidity(ctx context.Context, credentialID string,
	v store.Validity, at time.Time) error {
	return s.shared().SetExposureValidity(ctx, credentialID, v, at)
}

// ListExposedCredentials implements store.Store.
func (s *Store) ListExposedCredentials(ctx context.Context,
	f store.ExposedFilter) ([]store.ExposedCredential, error) {
	return s.shared().ListExposedCredentials(ctx, f)
}

// RotateSigningKey implements store.Store.
func (s *Store) RotateSigningKey(ctx context.Context, k store.SigningKey) error {
	return s.shared().RotateSigningKey(ctx, k)
}

// ListSigningKeys implements store.Store.
func (s *Store) ListSigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	return s.shared().ListSigningKeys(ctx)
}

// PruneSigningKeys implements store.Store.
func (s *Store) PruneSigningKeys(ctx context.Context, cutoff time.Time) (int, error) {
	return s.shared().PruneSigningKeys(ctx, cutoff)
}

// PutStream implements store.Store.
func (s *Store) PutStream(ctx context.Context, st store.Stream) error {
	return s.shared().PutStream(ctx, st)
}

// UpdateStream implements store.Store.
func (s *Store) UpdateStream(ctx context.Context, id string,
	change func(*store.Stream) error) (store.Stream, error) {
	return s.shared().UpdateStream(ctx, id, change)
}

// GetStream implements store.Store.
func (s *Store) GetStream(ctx context.Context, id string) (store.Stream, error) {
	return s.shared().GetStream(ctx, id)
}

// ListStreams implements store.Store.
func (s *Store) ListStreams(ctx context.Context) ([]store.Stream, error) {
	return s.shared().ListStreams(ctx)
}

// DeleteStream implements store.Store.
func (s *Store) DeleteStream(ctx context.Context, id string) error {
	return s.shared().DeleteStream(ctx, id)
}
