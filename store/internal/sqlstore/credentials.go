package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

const credentialCols = "id, principal_id, kind, store, external_id, " +
	"fingerprint, created_at, rotated_at, last_used_at, expires_at, " +
	"exposed_at, exposure_source, exposure_where, status, " +
	revocationCols + ", revocation_effect"

// credentialStatuses are the statuses a credential may have.
var credentialStatuses = []string{store.StatusActive, store.StatusRevoked,
	store.StatusExpired}

// PutCredential inserts or replaces a credential. Its principal must
// exist; an empty id gets a generated "cred_" one and an empty status is
// "active". Unmatched exposures of its secret (by fingerprint or external
// id) become its own, and its Exposure is the earliest of its ledger's.
func (s *Store) PutCredential(ctx context.Context, c store.Credential) error {
	if c.ID == "" {
		c.ID = NewID("cred_")
	}
	op := fmt.Sprintf("put credential %q", c.ID)
	if c.Status == "" {
		c.Status = store.StatusActive
	}
	if !slices.Contains(credentialStatuses, c.Status) {
		return fmt.Errorf("%s: status: unknown credential status %q: %w",
			op, c.Status, store.ErrInvalid)
	}
	if err := checkEffect(c.Effect); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	args := s.credentialArgs(c)
	return s.Write(ctx, op, func(tx Tx) error {
		err := principalRef(ctx, tx, "principal_id", c.PrincipalID)
		if err != nil {
			return err
		}
		if err := s.refuseNewCredential(ctx, tx, c); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.replaceRow("credentials",
			credentialCols), args...)
		if err != nil {
			return err
		}
		return s.MatchExposures(ctx, tx, c)
	})
}

// refuseNewCredential refuses to make c live when a lock in force on its
// principal or its id covers it and it was not live already.
func (d Dialect) refuseNewCredential(ctx context.Context, tx Tx, c store.Credential) error {
	if c.Status != store.StatusActive {
		return nil
	}
	live, err := isActive(ctx, tx, "credentials", c.ID)
	if err != nil || live {
		return err
	}
	return d.RefuseLocked(ctx, tx, "credential "+c.ID,
		store.LockQuery{PrincipalID: c.PrincipalID, CredentialID: c.ID})
}

// credentialArgs are the values of credentialCols for c.
func (d Dialect) credentialArgs(c store.Credential) []any {
	exposure := []any{nil, nil, nil}
	if e := c.Exposure; e != nil {
		exposure = []any{d.TimeArg(e.At), e.Source, e.Where}
	}
	args := []any{c.ID, c.PrincipalID, c.Kind, c.Store, c.ExternalID,
		c.Fingerprint, d.TimeArg(c.CreatedAt), d.TimeArg(c.RotatedAt),
		d.TimeArg(c.LastUsedAt), d.TimeArg(c.ExpiresAt)}
	args = append(append(args, exposure...), c.Status)
	args = append(args, d.revocationArgs(c.Revocation)...)
	return append(args, string(c.Effect))
}

// GetCredential returns the credential with that id, or
// store.ErrNotFound.
func (s *Store) GetCredential(ctx context.Context, id string) (store.Credential, error) {
	c, err := getCredential(ctx, s.Read, id)
	if err != nil {
		return store.Credential{}, fmt.Errorf("get credential: %w", err)
	}
	return c, nil
}

// getCredential reads one credential through db.
func getCredential(ctx context.Context, db Querier, id string) (store.Credential, error) {
	row := db.QueryRowContext(ctx, `SELECT `+credentialCols+
		` FROM credentials WHERE id = ?`, id)
	c, err := scanCredential(row)
	if errors.Is(err, sql.ErrNoRows) {
		err = fmt.Errorf("no credential %q: %w", id, store.ErrNotFound)
	}
	return c, err
}

// ListCredentials returns the credentials matching f, oldest first.
func (s *Store) ListCredentials(ctx context.Context,
	f store.CredentialFilter) ([]store.Credential, error) {
	limit, err := limitClause(f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list credentials: %w", err)
	}
	w := s.credentialWhere(f)
	order, err := w.keyset(s.Dialect, f.Order, f.After, "created_at", "last_used_at",
		"expires_at")
	if err != nil {
		return nil, fmt.Errorf("list credentials: %w", err)
	}
	q := `SELECT ` + credentialCols + ` FROM credentials` + w.String() +
		order + limit
	cs, err := queryAll(ctx, s.Read, q, w.args, scanCredential)
	if err != nil {
		return nil, fmt.Errorf("list credentials: %w", err)
	}
	return cs, nil
}

// credentialWhere is the WHERE clause for f.
func (d Dialect) credentialWhere(f store.CredentialFilter) *where {
	w := &where{}
	w.eq("principal_id", f.PrincipalID)
	w.eq("status", f.Status)
	w.eq("kind", f.Kind)
	w.eq("revocation_effect", string(f.Effect))
	in(d, w, "store", f.Stores)
	if len(f.PrincipalKinds) > 0 {
		kinds := &where{}
		in(d, kinds, "kind", f.PrincipalKinds)
		w.add("principal_id IN (SELECT id FROM principals"+
			kinds.String()+")", kinds.args...)
	}
	if f.Exposed || f.StillValid || !f.ExposedBefore.IsZero() {
		w.add(FirstSeenOf + " IS NOT NULL")
	}
	if !f.ExposedBefore.IsZero() {
		w.add(FirstSeenOf+" < ?", d.TimeArg(f.ExposedBefore))
	}
	if f.StillValid {
		w.add(latestValidity+" = ?", string(store.ValidityValid))
	}
	w.timeRange(d, "created_at", f.Created)
	return w
}

// scanCredential scans credentialCols.
func scanCredential(r RowScanner) (store.Credential, error) {
	var c store.Credential
	var rev revocationScan
	var exposedAt time.Time
	var source, where sql.NullString
	dest := append([]any{&c.ID, &c.PrincipalID, &c.Kind, &c.Store,
		&c.ExternalID, &c.Fingerprint, timeCol{&c.CreatedAt},
		timeCol{&c.RotatedAt}, timeCol{&c.LastUsedAt},
		timeCol{&c.ExpiresAt}, timeCol{&exposedAt}, &source, &where,
		&c.Status}, rev.dest()...)
	dest = append(dest, (*string)(&c.Effect))
	if err := r.Scan(dest...); err != nil {
		return store.Credential{}, err
	}
	if source.Valid {
		c.Exposure = &store.Exposure{At: exposedAt, Source: source.String,
			Where: where.String}
	}
	c.Revocation = rev.value()
	return c, nil
}

// RevokeCredential marks the credential revoked with rev (a zero rev.At
// is now) and returns it; changed is false, and nothing is written, when
// it was revoked already.
func (s *Store) RevokeCredential(ctx context.Context, id string,
	rev store.Revocation) (store.Credential, bool, error) {
	if rev.At.IsZero() {
		rev.At = time.Now()
	}
	var c store.Credential
	var changed bool
	op := fmt.Sprintf("revoke credential %q", id)
	err := s.Write(ctx, op, func(tx Tx) error {
		var err error
		c, err = getCredential(ctx, tx, id)
		if err != nil || c.Status == store.StatusRevoked {
			return err
		}
		changed = true
		c.Status, c.Revocation = store.StatusRevoked, normalizedRevocation(rev)
		_, err = tx.ExecContext(ctx, `UPDATE credentials SET status = ?, (`+
			revocationCols+`) = (?, ?, ?, ?, ?) WHERE id = ?`,
			append(append([]any{c.Status}, s.revocationArgs(c.Revocation)...),
				id)...)
		return err
	})
	return c, changed, err
}

// MarkExposed records an exposure of the credential. Of two exposures the
// earlier is kept, since days since exposure count from the first leak.
func (s *Store) MarkExposed(ctx context.Context, credentialID string,
	e store.Exposure) error {
	op := fmt.Sprintf("mark credential %q exposed", credentialID)
	if e.At.IsZero() {
		return fmt.Errorf("%s: at: required: %w", op, store.ErrInvalid)
	}
	return s.Write(ctx, op, func(tx Tx) error {
		c, err := getCredential(ctx, tx, credentialID)
		if err != nil {
			return err
		}
		if c.Exposure != nil && !e.At.Before(c.Exposure.At) {
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE credentials SET exposed_at = ?,
			exposure_source = ?, exposure_where = ? WHERE id = ?`,
			s.TimeArg(e.At), e.Source, e.Where, credentialID)
		return err
	})
}
