package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/store"
)

// DefaultLockTTL is how long a lock placed by a policy lasts when the
// policy gives no ttl.
const DefaultLockTTL = 24 * time.Hour

// executed is what an action did: a result for the outbox and audit
// entries to append when it is finished.
type executed struct {
	result map[string]any
	audit  []store.AuditEntry
}

func (x *Executor) apply(ctx context.Context, a store.Action) (executed, error) {
	switch a.Kind {
	case rules.RevokeSessions:
		return x.revokeSessions(ctx, a)
	case rules.RevokeCredential:
		return x.revokeCredential(ctx, a)
	case rules.DisablePrincipal:
		return x.disablePrincipal(ctx, a)
	case rules.Lock:
		return x.placeLock(ctx, a)
	case rules.Notify:
		return x.notify(a), nil
	}
	return executed{}, permanent("unknown action kind %q", a.Kind)
}

func (x *Executor) revocation(a store.Action) store.Revocation {
	return store.Revocation{At: x.clock(), By: actor(a), Reason: a.Reason,
		SignalID: a.SignalID, ActionID: a.ID}
}

// sessionFilter selects the sessions a revoke_sessions action covers.
func sessionFilter(a store.Action) (store.SessionFilter, error) {
	var f store.SessionFilter
	switch a.TargetType {
	case "principal":
		f.PrincipalID = a.TargetID
	case "session":
		f.IDs = []string{a.TargetID}
	case "credential":
		f.CredentialID = a.TargetID
	case "sessions":
		var p sessionsParams
		if err := json.Unmarshal(a.Params, &p); err != nil || len(p.IDs) == 0 {
			return f, permanent("revoke_sessions: target sessions: params "+
				"name no session ids (%q)", a.Params)
		}
		f.IDs = p.IDs
	default:
		return f, permanent("revoke_sessions: unknown target type %q", a.TargetType)
	}
	switch scope := a.Scope; {
	case scope == "" || scope == "all":
	case strings.HasPrefix(scope, "provider:"):
		f.Provider = strings.TrimPrefix(scope, "provider:")
	default:
		return f, permanent("revoke_sessions: unknown scope %q", scope)
	}
	return f, nil
}

// revokeBatch is how many sessions an action revokes at their providers
// before it records them in the registry, so that an attempt its lease or
// a shutdown cuts off keeps what it did: the next attempt calls the
// providers for the rest only.
const revokeBatch = 50

func (x *Executor) revokeSessions(ctx context.Context, a store.Action) (executed, error) {
	f, err := sessionFilter(a)
	if err != nil {
		return executed{}, err
	}
	live := f
	live.Status = store.StatusActive
	sessions, err := x.store.ListSessions(ctx, live)
	if err != nil {
		return executed{}, fmt.Errorf("list sessions: %w", err)
	}
	calls, checks := map[string]string{}, checked{}
	var errs []error
	revoked := 0
	for i := 0; i < len(sessions); i += revokeBatch {
		if ctx.Err() != nil {
			return executed{}, fmt.Errorf("revoke sessions: %d of %d not "+
				"revoked yet, left for the next attempt: %w",
				len(sessions)-revoked, len(sessions), context.Cause(ctx))
		}
		part := sessions[i:min(i+revokeBatch, len(sessions))]
		ok, failed := x.revokeAtProviders(ctx, part, calls, checks)
		errs = append(errs, failed...)
		if err := x.recordRevoked(ctx, a, ok); err != nil {
			return executed{}, err
		}
		revoked += len(ok)
	}
	mine, err := x.revokedBy(ctx, f, a.ID)
	if err != nil {
		return executed{}, err
	}
	if err := x.publishSessions(ctx, a, mine); err != nil {
		return executed{}, err
	}
	done := sessionsExecuted(a, mine, calls, checks, x.clock())
	return done, joinConnectorErrors(errs)
}

// recordRevoked revokes in the registry the sessions with those ids, which
// their providers revoked. It outlives ctx by a little, within the fifth
// of the lease kept to record an outcome: the providers have acted, and
// a deadline that ran out during their calls must not lose that.
func (x *Executor) recordRevoked(ctx context.Context, a store.Action,
	ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx),
		x.cfg.Lease/10)
	defer cancel()
	_, err := x.store.RevokeSessions(rctx, store.SessionFilter{IDs: ids},
		x.revocation(a))
	if err != nil {
		return fmt.Errorf("revoke sessions in registry: %w", err)
	}
	return nil
}

// revokeAtProviders asks each session's provider to revoke it, noting
// what each call answered in calls and checks. It returns the ids now
// revoked at their provider (or that have no connector, and so are
// revoked in the registry only), and the failures to retry or to fail
// for good. A session whose provider accepted the revocation but, on a
// look, still honours it must be retried.
func (x *Executor) revokeAtProviders(ctx context.Context,
	sessions []store.Session, calls map[string]string,
	checks checked) ([]string, []error) {
	var ok []string
	var errs []error
	for _, s := range sessions {
		c := x.conns.For(s.Provider)
		if c == nil {
			ok = append(ok, s.ID)
			calls[s.ID] = "registry_only"
			continue
		}
		res, check := x.callConnector(ctx, c, connectors.OpRevokeSession, &s, nil)
		calls[s.ID] = res.String()
		checks.record(s.ID, check)
		if check != nil && check.Check == connectors.Failed {
			errs = append(errs, stillHonoured(s.Provider, "session "+s.ID, check))
			continue
		}
		if res.Succeeded() || res.Outcome == connectors.Unsupported {
			ok = append(ok, s.ID)
			continue
		}
		errs = append(errs, connectorError(s.Provider, "session "+s.ID, res))
	}
	return ok, errs
}

// callConnector asks c to make the change, and then, when c can look,
// whether it took effect.
func (x *Executor) callConnector(ctx context.Context, c connectors.Connector,
	op connectors.Op, s *store.Session,
	cred *store.Credential) (connectors.Result, *connectors.Verification) {
	pid := ""
	if s != nil {
		pid = s.PrincipalID
	} else {
		pid = cred.PrincipalID
	}
	p, err := x.store.GetPrincipal(ctx, pid)
	if err != nil {
		return connectors.Result{Outcome: connectors.Retryable,
			Err: fmt.Errorf("read principal %s: %w", pid, err)}, nil
	}
	aliases, err := x.store.ListAliases(ctx, pid)
	if err != nil {
		return connectors.Result{Outcome: connectors.Retryable,
			Err: fmt.Errorf("read aliases of %s: %w", pid, err)}, nil
	}
	req := connectors.Request{Op: op, Principal: p, Aliases: aliases,
		Session: s, Credential: cred, RevokeTokens: true}
	res := x.revoke(ctx, c, req)
	return res, x.verify(ctx, c, req, res)
}

// revoke asks c for one change and records how long it took and, when it
// failed, why.
func (x *Executor) revoke(ctx context.Context, c connectors.Connector,
	req connectors.Request) connectors.Result {
	start := time.Now()
	res := c.Revoke(ctx, req)
	x.metrics.connectorCalled(c.Provider(), req.Op, res, time.Since(start))
	return res
}

func connectorError(provider, what string, res connectors.Result) error {
	err := fmt.Errorf("%s: revoke %s: %s", provider, what, res)
	if res.Outcome == connectors.Permanent {
		return &permanentError{err: err}
	}
	return err
}

// joinConnectorErrors keeps the result permanent only when every failure
// is permanent: one retryable failure is worth another try.
func joinConnectorErrors(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	joined := errors.Join(errs...)
	for _, e := range errs {
		var p *permanentError
		if !errors.As(e, &p) {
			return joined
		}
	}
	return &permanentError{err: joined}
}

// revokedBy lists the sessions matching f that this action revoked, now
// or in an earlier attempt.
func (x *Executor) revokedBy(ctx context.Context, f store.SessionFilter,
	actionID string) ([]store.Session, error) {
	all, err := x.store.ListSessions(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("list revoked sessions: %w", err)
	}
	var mine []store.Session
	for _, s := range all {
		if s.Revocation != nil && s.Revocation.ActionID == actionID {
			mine = append(mine, s)
		}
	}
	return mine, nil
}

func sessionsExecuted(a store.Action, mine []store.Session,
	calls map[string]string, checks checked, now time.Time) executed {
	ids := make([]string, 0, len(mine))
	var audit []store.AuditEntry
	for _, s := range mine {
		ids = append(ids, s.ID)
		audit = append(audit, store.AuditEntry{Time: now, Actor: actor(a),
			Event: EventSessionRevoked, Subject: s.ID,
			Details: mustJSON(map[string]any{"principal_id": s.PrincipalID,
				"provider": s.Provider, "reason": a.Reason,
				"action_id": a.ID, "signal_id": a.SignalID,
				"provider_call": calls[s.ID],
				"verification":  checks.details(s.ID)})})
	}
	result := map[string]any{"sessions": ids, "provider_calls": calls}
	checks.addTo(result)
	return executed{result: result, audit: audit}
}

func (x *Executor) revokeCredential(ctx context.Context, a store.Action) (executed, error) {
	if a.TargetType != "credential" {
		return executed{}, permanent("revoke_credential: target type %q is not credential", a.TargetType)
	}
	c, err := x.store.GetCredential(ctx, a.TargetID)
	if errors.Is(err, store.ErrNotFound) {
		return executed{}, permanent("credential %s does not exist", a.TargetID)
	}
	if err != nil {
		return executed{}, fmt.Errorf("read credential: %w", err)
	}
	call, checks := "registry_only", checked{}
	if conn := x.conns.For(c.Store); conn != nil && c.Status == store.StatusActive {
		res, check := x.callConnector(ctx, conn, connectors.OpRevokeCredential, nil, &c)
		if !res.Succeeded() && res.Outcome != connectors.Unsupported {
			return executed{}, connectorError(c.Store, "credential "+c.ID, res)
		}
		if check != nil && check.Check == connectors.Failed {
			return executed{}, stillHonoured(c.Store, "credential "+c.ID, check)
		}
		call = res.String()
		checks.record(c.ID, check)
	}
	c, _, err = x.store.RevokeCredential(ctx, c.ID, x.revocation(a))
	if err != nil {
		return executed{}, fmt.Errorf("revoke credential in registry: %w", err)
	}
	if err := x.publishCredential(ctx, a, c); err != nil {
		return executed{}, err
	}
	result := map[string]any{"credential": c.ID, "provider_call": call}
	checks.addTo(result)
	return executed{
		result: result,
		audit: []store.AuditEntry{{Time: x.clock(), Actor: actor(a),
			Event: EventCredentialRevoked, Subject: c.ID,
			Details: mustJSON(map[string]any{"principal_id": c.PrincipalID,
				"store": c.Store, "reason": a.Reason, "action_id": a.ID,
				"signal_id": a.SignalID, "provider_call": call,
				"verification":       checks.details(c.ID),
				"already_revoked_by": otherRevoker(c, a.ID)})}},
	}, nil
}

// otherRevoker names who revoked a credential before this action did, or
// "" when this action did.
func otherRevoker(c store.Credential, actionID string) string {
	if c.Revocation == nil || c.Revocation.ActionID == actionID {
		return ""
	}
	return c.Revocation.By
}

func (x *Executor) placeLock(ctx context.Context, a store.Action) (executed, error) {
	ttl := DefaultLockTTL
	var params struct {
		TTL string `json:"ttl"`
	}
	if len(a.Params) > 0 {
		if err := json.Unmarshal(a.Params, &params); err != nil {
			return executed{}, permanent("lock params: %v", err)
		}
	}
	if params.TTL != "" {
		d, err := time.ParseDuration(params.TTL)
		if err != nil || d <= 0 {
			return executed{}, permanent("lock ttl: not a positive duration (%q)", params.TTL)
		}
		ttl = d
	}
	now := x.clock()
	l := store.Lock{ID: "lock_" + shortHash(a.ID), TargetType: a.TargetType,
		Target: a.TargetID, Reason: a.Reason, CreatedBy: actor(a),
		CreatedAt: now, ExpiresAt: now.Add(ttl)}
	err := x.store.PutLock(ctx, l)
	if errors.Is(err, store.ErrInvalid) {
		return executed{}, permanent("place lock: %v", err)
	}
	if err != nil {
		return executed{}, fmt.Errorf("place lock: %w", err)
	}
	return executed{
		result: map[string]any{"lock": l.ID, "expires_at": l.ExpiresAt},
		audit: []store.AuditEntry{{Time: now, Actor: actor(a),
			Event: EventLockPlaced, Subject: l.TargetType + ":" + l.Target,
			Details: mustJSON(map[string]any{"lock_id": l.ID,
				"reason": a.Reason, "expires_at": l.ExpiresAt})}},
	}, nil
}

// notify records the notification in the log and the audit trail, where
// responders and the audit stream pick it up.
func (x *Executor) notify(a store.Action) executed {
	x.log.Info("notify", "action_id", a.ID, "signal_id", a.SignalID,
		"target", a.TargetType+":"+a.TargetID, "reason", a.Reason)
	return executed{
		result: map[string]any{"channel": "log"},
		audit: []store.AuditEntry{{Time: x.clock(), Actor: actor(a),
			Event: EventNotify, Subject: a.TargetType + ":" + a.TargetID,
			Details: mustJSON(map[string]any{"reason": a.Reason,
				"action_id": a.ID, "signal_id": a.SignalID})}},
	}
}
