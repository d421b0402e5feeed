package sweeps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// Audit events of lock-hygiene and revocation-log-retention.
const (
	EventLockExpired         = "lock.expired"
	EventLockExpiring        = "lock.expiring"
	EventLockOrphaned        = "lock.orphaned"
	EventRevocationLogPruned = "revocation_log.pruned"
)

// revocationLogRetention prunes the revocation log of the entries older
// than RevocationLogKeep (the head of the log up to the first entry to
// keep; never the newest) and audits how far it went. A stream client
// that resumes from a pruned entry is sent a gap event.
func revocationLogRetention(ctx context.Context, d *Deps, r *Report) error {
	before := d.Clock.Now().Add(-d.RevocationLogKeep)
	n, through, err := d.Store.PruneRevocationLog(ctx, before)
	if err != nil || n == 0 {
		return err
	}
	r.Examined += n
	r.find("revocation-log", "pruned %d entries older than %s; the log "+
		"now starts after entry %d", n, before.Format(time.RFC3339), through)
	details, err := json.Marshal(map[string]any{"deleted": n,
		"through": through, "before": before})
	if err != nil {
		return err
	}
	return d.Store.AppendAudit(ctx, store.AuditEntry{Time: d.Clock.Now(),
		Actor: "sweep:" + r.Sweep, Event: EventRevocationLogPruned,
		Subject: "revocation-log", Details: details})
}

// inventorySync runs the connector sync, every provider that can list.
// Exposures waiting for a credential are matched as the sync stores it.
func inventorySync(ctx context.Context, d *Deps, r *Report) error {
	if d.Syncer == nil {
		return errors.New("no connector that can list is configured")
	}
	reports, err := d.Syncer.Sync(ctx, "")
	for _, s := range reports {
		r.Examined += s.Principals
		if n := s.Added + s.Ended + s.StillListed; n > 0 {
			r.find("provider:"+s.Provider, "added %d, refreshed %d, "+
				"ended %d, revoked but still listed %d", s.Added,
				s.Refreshed, s.Ended, s.StillListed)
		}
		for _, f := range s.Failures {
			r.fail("list %s at %s: %s", f.PrincipalID, s.Provider, f.Err)
		}
	}
	return err
}

// lockHygiene looks at every lock: one that expired since the sweep's
// last run is recorded in the audit trail as expired, one that expires
// within LockWarning is warned of, and one in force that matches nothing
// live (its principal or credential gone, no live session it covers) is
// reported.
func lockHygiene(ctx context.Context, d *Deps, r *Report) error {
	locks, err := d.Store.ListLocks(ctx, time.Time{})
	if err != nil {
		return err
	}
	since, err := d.lastRun(ctx, r)
	if err != nil {
		return err
	}
	live, err := d.Store.ListSessions(ctx,
		store.SessionFilter{Status: store.StatusActive})
	if err != nil {
		return err
	}
	now := d.Clock.Now()
	var audit []store.AuditEntry
	for _, l := range locks {
		if !l.LiftedAt.IsZero() {
			continue
		}
		r.Examined++
		e, err := d.lockFinding(ctx, r, l, since, now, live)
		if err != nil {
			return err
		}
		if e != nil {
			audit = append(audit, *e)
		}
	}
	if len(audit) == 0 {
		return nil
	}
	return d.Store.AppendAudit(ctx, audit...)
}

// lockFinding reports what is wrong with one lock, and the audit entry
// that records it, if any.
func (d *Deps) lockFinding(ctx context.Context, r *Report, l store.Lock,
	since, now time.Time, live []store.Session) (*store.AuditEntry, error) {
	subject := "lock:" + l.ID
	entry := func(event string, details map[string]any) *store.AuditEntry {
		details["target"] = l.TargetType + ":" + l.Target
		b, _ := json.Marshal(details)
		return &store.AuditEntry{Time: now, Actor: "sweep:" + r.Sweep,
			Event: event, Subject: subject, Details: b}
	}
	switch left := l.ExpiresAt.Sub(now); {
	case l.ExpiresAt.IsZero():
	case left <= 0:
		if !l.ExpiresAt.After(since) {
			return nil, nil // recorded by an earlier run
		}
		r.find(subject, "on %s %s expired at %s", l.TargetType, l.Target,
			l.ExpiresAt.Format(time.RFC3339))
		return entry(EventLockExpired, map[string]any{
			"expired_at": l.ExpiresAt}), nil
	case left <= d.LockWarning:
		r.find(subject, "on %s %s expires in %s", l.TargetType, l.Target,
			left.Round(time.Minute))
		d.Log.Warn("lock about to expire", "lock_id", l.ID,
			"target", l.TargetType+":"+l.Target, "expires_at", l.ExpiresAt)
		return entry(EventLockExpiring, map[string]any{
			"expires_at": l.ExpiresAt}), nil
	}
	orphan, err := d.orphaned(ctx, l, live)
	if err != nil || !orphan {
		return nil, err
	}
	r.find(subject, "on %s %s matches nothing live", l.TargetType, l.Target)
	return entry(EventLockOrphaned, map[string]any{}), nil
}

// orphaned reports whether a lock in force matches nothing live: no live
// session is covered by it and, for a principal or credential lock, the
// registry no longer holds it active.
func (d *Deps) orphaned(ctx context.Context, l store.Lock,
	live []store.Session) (bool, error) {
	for _, s := range live {
		if store.SessionLockQuery(s).Covers(l) {
			return false, nil
		}
	}
	var err error
	status := ""
	switch l.TargetType {
	case "principal":
		var p store.Principal
		p, err = d.Store.GetPrincipal(ctx, l.Target)
		status = p.Status
	case "credential":
		var c store.Credential
		c, err = d.Store.GetCredential(ctx, l.Target)
		status = c.Status
	default:
		return true, nil
	}
	if errors.Is(err, store.ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("read lock target %s: %w", l.Target, err)
	}
	return status != store.StatusActive, nil
}

// lastRun is when the sweep's previous run started, zero when this is
// its first.
func (d *Deps) lastRun(ctx context.Context, r *Report) (time.Time, error) {
	runs, err := d.Store.ListSweepRuns(ctx, r.Sweep, 2)
	if err != nil {
		return time.Time{}, err
	}
	for _, run := range runs {
		if run.ID != r.RunID {
			return run.StartedAt, nil
		}
	}
	return time.Time{}, nil
}
