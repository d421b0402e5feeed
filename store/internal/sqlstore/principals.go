package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/killswitch-dev/killswitch/store"
)

const principalCols = "id, kind, display_name, owner, status, labels, " +
	"break_glass, created_at"

// PutPrincipal inserts or replaces a principal. An empty status is
// "active"; the kind must be one of the store.PrincipalKind values and the
// status "active" or "disabled".
func (s *Store) PutPrincipal(ctx context.Context, p store.Principal) error {
	op := fmt.Sprintf("put principal %q", p.ID)
	if p.Status == "" {
		p.Status = store.StatusActive
	}
	if err := checkPrincipal(p); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	labels, err := jsonArg(p.Labels, len(p.Labels) == 0)
	if err != nil {
		return fmt.Errorf("%s: labels: %w", op, err)
	}
	return s.Write(ctx, op, func(tx Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO principals (`+
			principalCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET kind = excluded.kind,
			display_name = excluded.display_name, owner = excluded.owner,
			status = excluded.status, labels = excluded.labels,
			break_glass = excluded.break_glass,
			created_at = excluded.created_at`,
			p.ID, p.Kind, p.DisplayName, p.Owner, p.Status, labels,
			p.BreakGlass, s.TimeArg(p.CreatedAt))
		return err
	})
}

// checkPrincipal checks the fields of a principal the store relies on.
func checkPrincipal(p store.Principal) error {
	switch {
	case p.ID == "":
		return fmt.Errorf("id: required: %w", store.ErrInvalid)
	case !p.Kind.Valid():
		return fmt.Errorf("kind: unknown principal kind %q: %w",
			p.Kind, store.ErrInvalid)
	}
	return checkPrincipalStatus(p.Status)
}

// checkPrincipalStatus accepts "active" and "disabled".
func checkPrincipalStatus(status string) error {
	if status != store.StatusActive && status != "disabled" {
		return fmt.Errorf("status: %q is not active or disabled: %w",
			status, store.ErrInvalid)
	}
	return nil
}

// GetPrincipal returns the principal with that id, or store.ErrNotFound.
func (s *Store) GetPrincipal(ctx context.Context, id string) (store.Principal, error) {
	row := s.Read.QueryRowContext(ctx, `SELECT `+principalCols+
		` FROM principals WHERE id = ?`, id)
	p, err := scanPrincipal(row)
	if errors.Is(err, sql.ErrNoRows) {
		err = fmt.Errorf("no principal %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return store.Principal{}, fmt.Errorf("get principal: %w", err)
	}
	return p, nil
}

// ListPrincipals returns the principals matching f, ordered by id.
func (s *Store) ListPrincipals(ctx context.Context,
	f store.PrincipalFilter) ([]store.Principal, error) {
	limit, err := limitClause(f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list principals: %w", err)
	}
	var w where
	w.eq("kind", string(f.Kind))
	w.eq("status", f.Status)
	in(s.Dialect, &w, "kind", f.Kinds)
	if len(f.Providers) > 0 {
		var ses, creds where
		in(s.Dialect, &ses, "provider", f.Providers)
		in(s.Dialect, &creds, "store", f.Providers)
		w.add("(id IN (SELECT principal_id FROM sessions"+ses.String()+
			") OR id IN (SELECT principal_id FROM credentials"+
			creds.String()+"))", append(ses.args, creds.args...)...)
	}
	w.timeRange(s.Dialect, "created_at", f.Created)
	if f.AfterID != "" {
		w.add("id > ?", f.AfterID)
	}
	q := `SELECT ` + principalCols + ` FROM principals` + w.String() +
		` ORDER BY id` + limit
	ps, err := queryAll(ctx, s.Read, q, w.args, scanPrincipal)
	if err != nil {
		return nil, fmt.Errorf("list principals: %w", err)
	}
	return ps, nil
}

// scanPrincipal scans principalCols.
func scanPrincipal(r RowScanner) (store.Principal, error) {
	var p store.Principal
	err := r.Scan(&p.ID, &p.Kind, &p.DisplayName, &p.Owner, &p.Status,
		jsonCol{&p.Labels}, &p.BreakGlass, timeCol{&p.CreatedAt})
	return p, err
}

// SetPrincipalStatus sets a principal's status; changed is false when it
// had that status already.
func (s *Store) SetPrincipalStatus(ctx context.Context, id, status string) (bool, error) {
	op := fmt.Sprintf("set principal %q status", id)
	if err := checkPrincipalStatus(status); err != nil {
		return false, fmt.Errorf("%s: %w", op, err)
	}
	var changed bool
	err := s.Write(ctx, op, func(tx Tx) error {
		if err := principalExists(ctx, tx, id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE principals SET status = ?
			WHERE id = ? AND status <> ?`, status, id, status)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		changed = n > 0
		return err
	})
	return changed, err
}

// principalExists returns store.ErrNotFound for an unknown principal.
func principalExists(ctx context.Context, tx Tx, id string) error {
	var one int
	err := tx.QueryRowContext(ctx,
		`SELECT 1 FROM principals WHERE id = ?`, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Reason(store.ErrNotFound, "no principal %q", id)
	}
	return err
}

// principalRef checks that the principal a record names exists, and
// returns an error wrapping store.ErrInvalid that names field if not.
func principalRef(ctx context.Context, tx Tx, field, id string) error {
	err := principalExists(ctx, tx, id)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%s: no principal %q: %w",
			field, id, store.ErrInvalid)
	}
	return err
}
