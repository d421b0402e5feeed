package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/store"
)

// FormatOperator is the format recorded for an operator's request.
const FormatOperator = "operator"

// ManualRequest is an operator's revocation from the CLI or the API.
type ManualRequest struct {
	// Operator names who asked; it becomes the audit actor
	// "operator:<name>".
	Operator string `json:"operator"`
	Reason   string `json:"reason"`
	// Exactly one of SessionID, SessionIDs (a set of sessions, as an
	// operator confirmed it), PrincipalID (all its live sessions) and
	// CredentialID (the credential and the sessions it backs) is set.
	SessionID    string   `json:"session_id,omitempty"`
	SessionIDs   []string `json:"session_ids,omitempty"`
	PrincipalID  string   `json:"principal_id,omitempty"`
	CredentialID string   `json:"credential_id,omitempty"`
	// Filter, when SessionIDs came from a filter, is that filter as the
	// operator gave it; it goes to the audit trail with the request.
	Filter map[string]string `json:"filter,omitempty"`
}

// ErrBadRequest marks an operator's request (a revocation, a lock, a
// verdict) that is incomplete or ambiguous: the operator must change it,
// nothing was recorded.
var ErrBadRequest = errors.New("bad request")

// FieldError is an ErrBadRequest that names the field of the request at
// fault (as the HTTP API spells it: reason, target, expires_at) and the
// value it had.
type FieldError struct {
	Field, Value string
	// Reason says what is wrong, as a sentence of the error.
	Reason string
}

func (e *FieldError) Error() string { return ErrBadRequest.Error() + ": " + e.Reason }

// Unwrap makes a FieldError an ErrBadRequest for errors.Is.
func (e *FieldError) Unwrap() error { return ErrBadRequest }

func (r ManualRequest) validate() error {
	n := 0
	for _, v := range []string{r.SessionID, r.PrincipalID, r.CredentialID} {
		if v != "" {
			n++
		}
	}
	if len(r.SessionIDs) > 0 {
		n++
	}
	switch {
	case n != 1:
		return fmt.Errorf("%w: name exactly one of a session, a set of "+
			"sessions, a principal or a credential", ErrBadRequest)
	case slices.Contains(r.SessionIDs, ""):
		return fmt.Errorf("%w: session ids: an empty id", ErrBadRequest)
	case strings.TrimSpace(r.Reason) == "":
		return &FieldError{"reason", r.Reason, "a reason is required: it " +
			"goes to the audit trail"}
	case strings.TrimSpace(r.Operator) == "":
		return fmt.Errorf("%w: the operator's name is required", ErrBadRequest)
	}
	return nil
}

// checkTarget makes sure the registry holds what the request names, so
// that a mistyped id is an error rather than a revocation of nothing. The
// error wraps store.ErrNotFound.
func (r ManualRequest) checkTarget(ctx context.Context, st store.Store) error {
	var err error
	what, id := "session", r.SessionID
	switch {
	case len(r.SessionIDs) > 0:
		return checkSessions(ctx, st, r.SessionIDs)
	case r.SessionID != "":
		_, err = st.GetSession(ctx, r.SessionID)
	case r.PrincipalID != "":
		what, id = "principal", r.PrincipalID
		_, err = st.GetPrincipal(ctx, r.PrincipalID)
	default:
		what, id = "credential", r.CredentialID
		_, err = st.GetCredential(ctx, r.CredentialID)
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("read %s %q: %w", what, id, err)
	}
	if err == nil {
		return nil
	}
	owner := ""
	if what != "session" {
		if owner, err = aliasOwner(ctx, st, what, id); err != nil {
			return err
		}
	}
	return fmt.Errorf("%s %q is not in the registry%s: %w", what, id,
		owner, store.ErrNotFound)
}

// checkSessions makes sure the registry holds every session of ids; the
// error names the first it does not and wraps store.ErrNotFound.
func checkSessions(ctx context.Context, st store.Store, ids []string) error {
	found, err := st.ListSessions(ctx, store.SessionFilter{IDs: ids})
	if err != nil {
		return fmt.Errorf("read sessions: %w", err)
	}
	have := make(map[string]bool, len(found))
	for _, s := range found {
		have[s.ID] = true
	}
	for _, id := range ids {
		if !have[id] {
			return fmt.Errorf("session %q is not in the registry: %w", id,
				store.ErrNotFound)
		}
	}
	return nil
}

// Revoke carries out an operator's request at once, through the outbox
// like any policy action: it is recorded, executed at the connectors and
// in the registry, published and audited with the operator as actor. If
// the process dies half-way, a running engine finishes it when the lease
// lapses. It returns the finished actions. A request that is incomplete
// is an ErrBadRequest, and one naming what the registry does not hold
// wraps store.ErrNotFound; neither records anything.
func (x *Executor) Revoke(ctx context.Context, st store.Store,
	req ManualRequest) ([]store.Action, error) {
	if err := req.validate(); err != nil {
		return nil, err
	}
	if err := req.checkTarget(ctx, st); err != nil {
		return nil, err
	}
	now := x.clock()
	id := randomID()
	acts := manualActions(req, id)
	for i := range acts {
		acts[i].CreatedAt, acts[i].UpdatedAt = now, now
		acts[i].LeaseUntil = now.Add(x.cfg.Lease)
	}
	rec := store.SignalRecord{ID: "sig_" + id, DedupKey: "operator:" + id,
		Format: FormatOperator, Category: "manual_revocation",
		Severity: "info", Time: now, ReceivedAt: now,
		Signal: mustJSON(req)}
	audit := []store.AuditEntry{{Time: now, Actor: "operator:" + req.Operator,
		Event: "operator.revoke", Subject: rec.ID, Details: mustJSON(req)}}
	if _, err := st.RecordSignal(ctx, rec, acts, audit); err != nil {
		return nil, fmt.Errorf("record request: %w", err)
	}
	return x.runManual(ctx, st, acts)
}

func (x *Executor) runManual(ctx context.Context, st store.Store,
	acts []store.Action) ([]store.Action, error) {
	// The shutdown grace bounds the work, not the answer: an action it
	// cut off is read back handed back to the outbox.
	work, untrack := x.operators.track(ctx)
	defer untrack()
	out := make([]store.Action, 0, len(acts))
	for _, a := range acts {
		a.Attempts = 1
		if err := x.execute(work, a); err != nil {
			return out, err
		}
		done, err := st.GetAction(ctx, a.ID)
		if err != nil {
			return out, fmt.Errorf("read action %s: %w", a.ID, err)
		}
		out = append(out, done)
	}
	return out, nil
}

func manualActions(req ManualRequest, id string) []store.Action {
	base := store.Action{SignalID: "sig_" + id,
		Reason: boundedReason(req.Reason), Policy: "operator:" + req.Operator,
		State: store.ActionRunning}
	mk := func(kind, typ, target string) store.Action {
		a := base
		a.Kind, a.TargetType, a.TargetID = kind, typ, target
		a.IdempotencyKey = "operator:" + id + "|" + kind + "|" + typ + ":" + target
		a.ID = "act_" + shortHash(a.IdempotencyKey)
		return a
	}
	switch {
	case len(req.SessionIDs) > 0:
		a := mk(rules.RevokeSessions, "sessions",
			fmt.Sprintf("%d sessions", len(req.SessionIDs)))
		a.Params = mustJSON(sessionsParams{IDs: req.SessionIDs})
		return []store.Action{a}
	case req.SessionID != "":
		return []store.Action{mk(rules.RevokeSessions, "session", req.SessionID)}
	case req.PrincipalID != "":
		return []store.Action{mk(rules.RevokeSessions, "principal", req.PrincipalID)}
	}
	return []store.Action{
		mk(rules.RevokeCredential, "credential", req.CredentialID),
		mk(rules.RevokeSessions, "credential", req.CredentialID),
	}
}

// sessionsParams are the params of a revoke_sessions action on a set of
// sessions (target type "sessions").
type sessionsParams struct {
	IDs []string `json:"ids"`
}

func randomID() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on Linux
	return hex.EncodeToString(b)
}
