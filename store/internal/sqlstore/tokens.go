package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// tokenCols are the columns of api_tokens.
const tokenCols = "id, name, secret_hash, role, scopes, created_by, " +
	"created_at, expires_at, last_used_at, revoked_at, revoked_by"

// CreateAPIToken inserts a new token; store.ErrConflict when its id or
// secret hash is taken.
func (s *Store) CreateAPIToken(ctx context.Context, t store.APIToken) error {
	op := fmt.Sprintf("create api token %q", t.ID)
	if err := checkToken(t); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	sc := t.Scopes
	scopes, err := jsonArg(sc, len(sc.PrincipalKinds)+len(sc.Providers) == 0)
	if err != nil {
		return fmt.Errorf("%s: scopes: %w", op, err)
	}
	return s.Write(ctx, op, func(tx Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (`+
			tokenCols+`) VALUES (`+placeholders(11)+`)
			ON CONFLICT DO NOTHING`, t.ID, t.Name, t.SecretHash, t.Role,
			scopes, t.CreatedBy, s.TimeArg(t.CreatedAt),
			s.TimeArg(t.ExpiresAt), s.TimeArg(t.LastUsedAt),
			s.TimeArg(t.RevokedAt), t.RevokedBy)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return errors.Join(err, fmt.Errorf("id or secret: %w",
				store.ErrConflict))
		}
		return nil
	})
}

// checkToken names the first required field of t that is empty.
func checkToken(t store.APIToken) error {
	for _, f := range []struct{ name, v string }{{"id", t.ID},
		{"name", t.Name}, {"secret_hash", t.SecretHash}, {"role", t.Role}} {
		if f.v == "" {
			return fmt.Errorf("%s: required: %w", f.name, store.ErrInvalid)
		}
	}
	return nil
}

// APITokenByHash returns the token whose secret hashes to hash.
func (s *Store) APITokenByHash(ctx context.Context, hash string) (store.APIToken, error) {
	row := s.Read.QueryRowContext(ctx, `SELECT `+tokenCols+
		` FROM api_tokens WHERE secret_hash = ?`, hash)
	t, err := scanToken(row)
	if errors.Is(err, sql.ErrNoRows) {
		err = fmt.Errorf("no such token: %w", store.ErrNotFound)
	}
	if err != nil {
		return store.APIToken{}, fmt.Errorf("get api token: %w", err)
	}
	return t, nil
}

// ListAPITokens returns every token in creation order.
func (s *Store) ListAPITokens(ctx context.Context) ([]store.APIToken, error) {
	ts, err := queryAll(ctx, s.Read, `SELECT `+tokenCols+
		` FROM api_tokens ORDER BY seq`, nil, scanToken)
	if err != nil {
		return nil, fmt.Errorf("list api tokens: %w", err)
	}
	return ts, nil
}

// RevokeAPIToken revokes the token; changed is false when it was
// revoked already.
func (s *Store) RevokeAPIToken(ctx context.Context, id, by string,
	at time.Time) (bool, error) {
	op := fmt.Sprintf("revoke api token %q", id)
	var changed bool
	err := s.Write(ctx, op, func(tx Tx) error {
		var one int
		err := tx.QueryRowContext(ctx,
			`SELECT 1 FROM api_tokens WHERE id = ?`, id).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound // op names the token
		}
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE api_tokens
			SET revoked_at = ?, revoked_by = ?
			WHERE id = ? AND revoked_at IS NULL`, s.TimeArg(at), by, id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		changed = n > 0
		return err
	})
	return changed, err
}

// TouchAPIToken records a use of the token, keeping a later one.
func (s *Store) TouchAPIToken(ctx context.Context, id string, at time.Time) error {
	op := fmt.Sprintf("touch api token %q", id)
	return s.Write(ctx, op, func(tx Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE api_tokens
			SET last_used_at = ? WHERE id = ?
			AND (last_used_at IS NULL OR last_used_at < ?)`,
			s.TimeArg(at), id, s.TimeArg(at))
		return err
	})
}

// scanToken scans tokenCols.
func scanToken(r RowScanner) (store.APIToken, error) {
	var t store.APIToken
	err := r.Scan(&t.ID, &t.Name, &t.SecretHash, &t.Role,
		jsonCol{&t.Scopes}, &t.CreatedBy, timeCol{&t.CreatedAt},
		timeCol{&t.ExpiresAt}, timeCol{&t.LastUsedAt},
		timeCol{&t.RevokedAt}, &t.RevokedBy)
	return t, err
}
