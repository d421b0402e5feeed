package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// exposureCols are the columns of exposures, in scanExposure order.
const exposureCols = "id, credential_id, fingerprint, key_id, source, " +
	"place, first_seen, last_seen, signal_id, validity, checked_at"

// RecordExposure adds an exposure to the ledger or refreshes the one it
// repeats (see store.Exposures); an empty id gets a generated "exp_" one.
func (s *Store) RecordExposure(ctx context.Context,
	e store.ExposureRecord) (store.ExposureRecord, error) {
	op := "record exposure"
	if err := checkExposure(&e); err != nil {
		return store.ExposureRecord{}, fmt.Errorf("%s: %w", op, err)
	}
	err := s.Write(ctx, op, func(tx Tx) error {
		if err := matchCredential(ctx, tx, &e); err != nil {
			return err
		}
		old, found, err := sameExposure(ctx, tx, e)
		if err != nil {
			return err
		}
		if found {
			e = merged(old, e)
		}
		_, err = tx.ExecContext(ctx, upsert("exposures", exposureCols),
			s.exposureArgs(e)...)
		if err != nil || e.CredentialID == "" {
			return err
		}
		return s.refreshExposure(ctx, tx, e.CredentialID)
	})
	return e, err
}

// checkExposure validates e and fills its defaults.
func checkExposure(e *store.ExposureRecord) error {
	switch {
	case e.Source == "":
		return fmt.Errorf("source: required: %w", store.ErrInvalid)
	case e.FirstSeen.IsZero():
		return fmt.Errorf("first_seen: required: %w", store.ErrInvalid)
	case e.CredentialID == "" && e.Fingerprint == "" && e.KeyID == "":
		return fmt.Errorf("credential_id, fingerprint, key_id: one is "+
			"required to name the secret: %w", store.ErrInvalid)
	case !e.Validity.Valid():
		return fmt.Errorf("validity: unknown validity %q: %w", e.Validity,
			store.ErrInvalid)
	}
	e.FirstSeen, e.LastSeen = store.NormalizeTime(e.FirstSeen),
		store.NormalizeTime(e.LastSeen)
	if !e.CheckedAt.IsZero() {
		e.CheckedAt = store.NormalizeTime(e.CheckedAt)
	}
	if e.LastSeen.Before(e.FirstSeen) {
		e.LastSeen = e.FirstSeen
	}
	if e.ID == "" {
		e.ID = NewID("exp_")
	}
	return nil
}

// matchCredential checks the credential an exposure names exists or,
// when it names none, finds it: by fingerprint, by external id, and then
// by the credential aliases that name the secret (a secret_hash alias
// for a scanner's own hash of it, any alias for a key id).
func matchCredential(ctx context.Context, tx Tx, e *store.ExposureRecord) error {
	if e.CredentialID != "" {
		return credentialExists(ctx, tx, e.CredentialID)
	}
	for _, m := range []struct{ q, v string }{
		{credentialBy("fingerprint"), e.Fingerprint},
		{credentialBy("external_id"), e.KeyID},
		{aliasBy(`a.type = 'secret_hash' AND`), e.Fingerprint},
		{aliasBy(""), e.KeyID}} {
		if m.v == "" {
			continue
		}
		err := tx.QueryRowContext(ctx, m.q, m.v).Scan(&e.CredentialID)
		if err == nil || !errors.Is(err, sql.ErrNoRows) {
			return err
		}
	}
	return nil
}

// credentialBy is the query for the oldest credential whose col is the
// argument.
func credentialBy(col string) string {
	return `SELECT id FROM credentials WHERE ` + col +
		` = ? ORDER BY created_at, id LIMIT 1`
}

// aliasBy is the query for the credential an alias (of a kind cond
// picks) with the argument as value names.
func aliasBy(cond string) string {
	return `SELECT a.credential_id FROM aliases a JOIN credentials c ON
		c.id = a.credential_id WHERE ` + cond + ` a.value = ?
		ORDER BY c.created_at, c.id LIMIT 1`
}

// credentialExists returns store.ErrNotFound, naming id, when no
// credential has that id.
func credentialExists(ctx context.Context, db Querier, id string) error {
	var one int
	err := db.QueryRowContext(ctx, `SELECT 1 FROM credentials WHERE id = ?`,
		id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("no credential %q: %w", id, store.ErrNotFound)
	}
	return err
}

// sameExposure finds the entry e repeats: the same secret, source and
// place.
func sameExposure(ctx context.Context, tx Tx,
	e store.ExposureRecord) (store.ExposureRecord, bool, error) {
	q := `SELECT ` + exposureCols + ` FROM exposures WHERE source = ? AND
		place = ? AND credential_id = ?`
	args := []any{e.Source, e.Where, e.CredentialID}
	if e.CredentialID == "" {
		q += ` AND fingerprint = ? AND key_id = ?`
		args = append(args, e.Fingerprint, e.KeyID)
	}
	old, err := scanExposure(tx.QueryRowContext(ctx, q+` LIMIT 1`, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return old, false, nil
	}
	return old, err == nil, err
}

// merged is the stored entry old refreshed by a repeat report e.
func merged(old, e store.ExposureRecord) store.ExposureRecord {
	if e.FirstSeen.Before(old.FirstSeen) {
		old.FirstSeen = e.FirstSeen
	}
	if e.LastSeen.After(old.LastSeen) {
		old.LastSeen = e.LastSeen
	}
	if old.Fingerprint == "" {
		old.Fingerprint = e.Fingerprint
	}
	if old.KeyID == "" {
		old.KeyID = e.KeyID
	}
	if e.Validity != store.ValidityUnchecked && e.CheckedAt.After(old.CheckedAt) {
		old.Validity, old.CheckedAt = e.Validity, e.CheckedAt
	}
	return old
}

// exposureArgs are the values of exposureCols for e.
func (d Dialect) exposureArgs(e store.ExposureRecord) []any {
	return []any{e.ID, e.CredentialID, e.Fingerprint, e.KeyID, e.Source,
		e.Where, d.TimeArg(e.FirstSeen), d.TimeArg(e.LastSeen), e.SignalID,
		string(e.Validity), d.TimeArg(e.CheckedAt)}
}

// scanExposure scans exposureCols.
func scanExposure(r RowScanner) (store.ExposureRecord, error) {
	var e store.ExposureRecord
	err := r.Scan(&e.ID, &e.CredentialID, &e.Fingerprint, &e.KeyID,
		&e.Source, &e.Where, timeCol{&e.FirstSeen}, timeCol{&e.LastSeen},
		&e.SignalID, (*string)(&e.Validity), timeCol{&e.CheckedAt})
	return e, err
}

// MatchExposures gives credential c the unmatched exposures of its
// secret, by fingerprint or external id, and refreshes its Exposure;
// PutCredential calls it in its write transaction.
func (d Dialect) MatchExposures(ctx context.Context, tx Tx, c store.Credential) error {
	if c.Fingerprint == "" && c.ExternalID == "" {
		return d.refreshExposure(ctx, tx, c.ID)
	}
	return d.claimExposures(ctx, tx, c.ID, c.Fingerprint, c.ExternalID)
}

// MatchAliasExposures gives the credential an alias names the unmatched
// exposures of the secret the alias names: by a secret_hash alias's
// value as the exposure's fingerprint, by any alias's value as its key
// id. PutAlias calls it in its write transaction.
func (d Dialect) MatchAliasExposures(ctx context.Context, tx Tx, a store.Alias) error {
	if a.CredentialID == "" {
		return nil
	}
	fingerprint := ""
	if a.Type == "secret_hash" {
		fingerprint = a.Value
	}
	if err := credentialExists(ctx, tx, a.CredentialID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil // an alias may arrive before its credential
		}
		return err
	}
	return d.claimExposures(ctx, tx, a.CredentialID, fingerprint, a.Value)
}

// claimExposures gives the credential id the unmatched exposures with
// that fingerprint or key id, and refreshes its Exposure.
func (d Dialect) claimExposures(ctx context.Context, tx Tx, id, fingerprint,
	keyID string) error {
	_, err := tx.ExecContext(ctx, `UPDATE exposures SET credential_id = ?
		WHERE credential_id = '' AND ((fingerprint != '' AND fingerprint = ?)
		OR (key_id != '' AND key_id = ?))`, id, fingerprint, keyID)
	if err != nil {
		return fmt.Errorf("match exposures: %w", err)
	}
	return d.refreshExposure(ctx, tx, id)
}

// refreshExposure sets the credential's Exposure to its earliest ledger
// entry when that is earlier than the one it has (MarkExposed's rule).
func (d Dialect) refreshExposure(ctx context.Context, tx Tx,
	credentialID string) error {
	first, err := scanExposure(tx.QueryRowContext(ctx, `SELECT `+exposureCols+
		` FROM exposures WHERE credential_id = ? ORDER BY first_seen, seq
		LIMIT 1`, credentialID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read exposures: %w", err)
	}
	_, err = tx.ExecContext(ctx, `UPDATE credentials SET exposed_at = ?,
		exposure_source = ?, exposure_where = ? WHERE id = ? AND
		(exposed_at IS NULL OR exposed_at > ?)`, d.TimeArg(first.FirstSeen),
		first.Source, first.Where, credentialID, d.TimeArg(first.FirstSeen))
	return err
}

// ListExposures returns the ledger entries matching f, oldest first.
func (s *Store) ListExposures(ctx context.Context,
	f store.ExposureFilter) ([]store.ExposureRecord, error) {
	limit, err := limitClause(f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list exposures: %w", err)
	}
	var w where
	w.eq("credential_id", f.CredentialID)
	if f.Unmatched {
		w.add("credential_id = ''")
	}
	es, err := queryAll(ctx, s.Read, `SELECT `+exposureCols+
		` FROM exposures`+w.String()+` ORDER BY first_seen, seq`+limit,
		w.args, scanExposure)
	if err != nil {
		return nil, fmt.Errorf("list exposures: %w", err)
	}
	return es, nil
}

// SetExposureValidity records the issuer's answer on every exposure of
// the credential; a credential without exposures is store.ErrNotFound.
func (s *Store) SetExposureValidity(ctx context.Context, credentialID string,
	v store.Validity, at time.Time) error {
	op := fmt.Sprintf("set validity of credential %q", credentialID)
	if !v.Valid() || v == store.ValidityUnchecked {
		return fmt.Errorf("%s: validity: unknown validity %q: %w", op, v,
			store.ErrInvalid)
	}
	return s.Write(ctx, op, func(tx Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE exposures SET validity = ?,
			checked_at = ? WHERE credential_id = ?`, string(v), s.TimeArg(at),
			credentialID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.Reason(store.ErrNotFound, "no exposure")
		}
		return nil
	})
}

// FirstSeenOf is the SQL for the first exposure of the credential in
// the current row.
const FirstSeenOf = `(SELECT MIN(e.first_seen) FROM exposures e
	WHERE e.credential_id = credentials.id)`

// ListExposedCredentials returns the exposed credentials matching f with
// their ledger entries, first exposed first.
func (s *Store) ListExposedCredentials(ctx context.Context,
	f store.ExposedFilter) ([]store.ExposedCredential, error) {
	limit, err := limitClause(f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list exposed credentials: %w", err)
	}
	var w where
	w.add(FirstSeenOf + " IS NOT NULL")
	w.eq("principal_id", f.PrincipalID)
	w.eq("status", f.Status)
	if !f.ExposedBefore.IsZero() {
		w.add(FirstSeenOf+" < ?", s.TimeArg(f.ExposedBefore))
	}
	if f.StillValid {
		w.add(latestValidity+" = ?", string(store.ValidityValid))
	}
	cs, err := queryAll(ctx, s.Read, `SELECT `+credentialCols+
		` FROM credentials`+w.String()+` ORDER BY `+FirstSeenOf+`, id`+limit,
		w.args, scanCredential)
	if err != nil {
		return nil, fmt.Errorf("list exposed credentials: %w", err)
	}
	out := make([]store.ExposedCredential, 0, len(cs))
	for _, c := range cs {
		es, err := s.ListExposures(ctx, store.ExposureFilter{CredentialID: c.ID})
		if err != nil {
			return nil, fmt.Errorf("list exposed credentials: %w", err)
		}
		out = append(out, store.ExposedCredential{Credential: c, Exposures: es})
	}
	return out, nil
}

// latestValidity is the SQL for the newest validity check of the
// exposures of the credential in the current row.
const latestValidity = `(SELECT e.validity FROM exposures e
	WHERE e.credential_id = credentials.id AND e.validity != ''
	ORDER BY e.checked_at DESC LIMIT 1)`
