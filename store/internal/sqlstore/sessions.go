package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

const sessionCols = "id, principal_id, provider, external_id, kind, " +
	"origin, credential_id, created_at, last_seen_at, expires_at, " +
	"status, " + revocationCols + ", revocation_effect"

// sessionStatuses are the statuses a session may have.
var sessionStatuses = []string{store.StatusActive, store.StatusRevoked,
	store.StatusExpired}

// PutSession inserts or replaces a session. Its principal must exist; an
// empty id gets a generated "ses_" one and an empty status is "active".
func (s *Store) PutSession(ctx context.Context, ses store.Session) error {
	if ses.ID == "" {
		ses.ID = NewID("ses_")
	}
	op := fmt.Sprintf("put session %q", ses.ID)
	if ses.Status == "" {
		ses.Status = store.StatusActive
	}
	if !slices.Contains(sessionStatuses, ses.Status) {
		return fmt.Errorf("%s: status: unknown session status %q: %w",
			op, ses.Status, store.ErrInvalid)
	}
	if err := checkEffect(ses.Effect); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	origin, err := jsonArg(ses.Origin, ses.Origin == store.Origin{})
	if err != nil {
		return fmt.Errorf("%s: origin: %w", op, err)
	}
	args := append([]any{ses.ID, ses.PrincipalID, ses.Provider,
		ses.ExternalID, ses.Kind, origin, ses.CredentialID,
		s.TimeArg(ses.CreatedAt), s.TimeArg(ses.LastSeenAt),
		s.TimeArg(ses.ExpiresAt), ses.Status}, s.revocationArgs(ses.Revocation)...)
	args = append(args, string(ses.Effect))
	return s.Write(ctx, op, func(tx Tx) error {
		err := principalRef(ctx, tx, "principal_id", ses.PrincipalID)
		if err != nil {
			return err
		}
		if err := s.refuseNewSession(ctx, tx, ses); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.replaceRow("sessions", sessionCols),
			args...)
		return err
	})
}

// refuseNewSession refuses to make ses live when a lock in force covers
// it and it was not live already: refreshing a live session, or ending
// one, is never refused.
func (d Dialect) refuseNewSession(ctx context.Context, tx Tx, ses store.Session) error {
	if ses.Status != store.StatusActive {
		return nil
	}
	live, err := isActive(ctx, tx, "sessions", ses.ID)
	if err != nil || live {
		return err
	}
	return d.RefuseLocked(ctx, tx, "session "+ses.ID,
		store.SessionLockQuery(ses))
}

// isActive reports whether the record with that id in table exists and
// is active.
func isActive(ctx context.Context, tx Tx, table, id string) (bool, error) {
	var status string
	err := tx.QueryRowContext(ctx, `SELECT status FROM `+table+
		` WHERE id = ?`, id).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return status == store.StatusActive, err
}

// GetSession returns the session with that id, or store.ErrNotFound.
func (s *Store) GetSession(ctx context.Context, id string) (store.Session, error) {
	row := s.Read.QueryRowContext(ctx, `SELECT `+sessionCols+
		` FROM sessions WHERE id = ?`, id)
	ses, err := scanSession(row)
	if errors.Is(err, sql.ErrNoRows) {
		err = fmt.Errorf("no session %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return store.Session{}, fmt.Errorf("get session: %w", err)
	}
	return ses, nil
}

// ListSessions returns the sessions matching f, oldest first.
func (s *Store) ListSessions(ctx context.Context,
	f store.SessionFilter) ([]store.Session, error) {
	ses, err := s.listSessions(ctx, s.Read, f)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	return ses, nil
}

// listSessions selects the sessions matching f through db.
func (d Dialect) listSessions(ctx context.Context, db Querier,
	f store.SessionFilter) ([]store.Session, error) {
	limit, err := limitClause(f.Limit)
	if err != nil {
		return nil, err
	}
	w := d.sessionWhere(f)
	order, err := w.keyset(d, f.Order, f.After, "created_at", "last_seen_at",
		"expires_at")
	if err != nil {
		return nil, err
	}
	q := `SELECT ` + sessionCols + ` FROM sessions` + w.String() + order +
		limit
	return queryAll(ctx, db, q, w.args, scanSession)
}

// sessionWhere is the WHERE clause for f.
func (d Dialect) sessionWhere(f store.SessionFilter) *where {
	w := &where{}
	in(d, w, "id", f.IDs)
	w.eq("principal_id", f.PrincipalID)
	w.eq("credential_id", f.CredentialID)
	w.eq("external_id", f.ExternalID)
	w.eq("kind", f.Kind)
	w.eq("provider", f.Provider)
	w.eq("status", f.Status)
	in(d, w, "provider", f.Providers)
	if len(f.PrincipalKinds) > 0 {
		kinds := &where{}
		in(d, kinds, "kind", f.PrincipalKinds)
		w.add("principal_id IN (SELECT id FROM principals"+
			kinds.String()+")", kinds.args...)
	}
	if f.Country != "" {
		w.add(d.originField("country")+" = ?", f.Country)
	}
	if f.Network.IsValid() {
		cond, arg := d.inNetwork(f.Network)
		w.add(cond, arg)
	}
	w.eq("revocation_effect", string(f.Effect))
	w.timeRange(d, "created_at", f.Created)
	w.timeRange(d, "last_seen_at", f.LastSeen)
	return w
}

// CountSessions counts the sessions matching f by principal kind and
// provider, largest group first.
func (s *Store) CountSessions(ctx context.Context,
	f store.SessionFilter) ([]store.SessionCount, error) {
	w := s.sessionWhere(f)
	q := `SELECT p.kind, x.provider, COUNT(*) AS n FROM (SELECT ` +
		`principal_id, provider FROM sessions` + w.String() + `) x ` +
		`JOIN principals p ON p.id = x.principal_id ` +
		`GROUP BY p.kind, x.provider ORDER BY n DESC, p.kind, x.provider`
	out, err := queryAll(ctx, s.Read, q, w.args,
		func(r RowScanner) (store.SessionCount, error) {
			var c store.SessionCount
			err := r.Scan(&c.PrincipalKind, &c.Provider, &c.Count)
			return c, err
		})
	if err != nil {
		return nil, fmt.Errorf("count sessions: %w", err)
	}
	return out, nil
}

// scanSession scans sessionCols.
func scanSession(r RowScanner) (store.Session, error) {
	var ses store.Session
	var rev revocationScan
	dest := append([]any{&ses.ID, &ses.PrincipalID, &ses.Provider,
		&ses.ExternalID, &ses.Kind, jsonCol{&ses.Origin},
		&ses.CredentialID, timeCol{&ses.CreatedAt},
		timeCol{&ses.LastSeenAt}, timeCol{&ses.ExpiresAt}, &ses.Status},
		rev.dest()...)
	dest = append(dest, (*string)(&ses.Effect))
	if err := r.Scan(dest...); err != nil {
		return store.Session{}, err
	}
	ses.Revocation = rev.value()
	return ses, nil
}

// RevokeSessions marks the active sessions matching f as revoked with rev
// (f.Status is ignored; a zero rev.At is now). It returns those and, when
// rev.ActionID is set, the sessions earlier calls with that ActionID
// revoked, oldest first.
func (s *Store) RevokeSessions(ctx context.Context, f store.SessionFilter,
	rev store.Revocation) ([]store.Session, error) {
	if rev.At.IsZero() {
		rev.At = time.Now()
	}
	f.Status = store.StatusActive
	var out []store.Session
	err := s.Write(ctx, "revoke sessions", func(tx Tx) error {
		var err error
		out, err = s.revokeSessions(ctx, tx, f, rev)
		return err
	})
	return out, err
}

// revokeSessions is RevokeSessions inside tx.
func (d Dialect) revokeSessions(ctx context.Context, tx Tx, f store.SessionFilter,
	rev store.Revocation) ([]store.Session, error) {
	earlier, err := revokedBy(ctx, tx, rev.ActionID)
	if err != nil {
		return nil, err
	}
	now, err := d.listSessions(ctx, tx, f)
	if err != nil {
		return nil, err
	}
	stmt, err := tx.Prepare(ctx, `UPDATE sessions SET status = ?, (`+
		revocationCols+`) = (?, ?, ?, ?, ?) WHERE id = ?`)
	if err != nil {
		return nil, err
	}
	defer stmt.Close()
	r := normalizedRevocation(rev)
	for i := range now {
		args := append([]any{store.StatusRevoked}, d.revocationArgs(r)...)
		if _, err := stmt.ExecContext(ctx, append(args, now[i].ID)...); err != nil {
			return nil, err
		}
		now[i].Status, now[i].Revocation = store.StatusRevoked, r
	}
	return sortSessions(append(earlier, now...)), nil
}

// revokedBy returns the sessions revoked by the action with that id, or
// none when the id is empty.
func revokedBy(ctx context.Context, db Querier,
	actionID string) ([]store.Session, error) {
	if actionID == "" {
		return nil, nil
	}
	return queryAll(ctx, db, `SELECT `+sessionCols+` FROM sessions
		WHERE revoked_action_id = ? AND status = ?`,
		[]any{actionID, store.StatusRevoked}, scanSession)
}

// normalizedRevocation is rev with its time as the store keeps it.
func normalizedRevocation(rev store.Revocation) *store.Revocation {
	rev.At = store.NormalizeTime(rev.At)
	return &rev
}

// sortSessions orders sessions oldest first, then by id, as listed.
func sortSessions(ss []store.Session) []store.Session {
	slices.SortFunc(ss, func(a, b store.Session) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return ss
}
