package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/killswitch-dev/killswitch/store"
)

const aliasCols = "type, value, principal_id, credential_id"

// foldedTypes lists store.CaseFoldedAliasTypes as SQL strings.
var foldedTypes = "'" + strings.Join(store.CaseFoldedAliasTypes, "', '") + "'"

// PutAlias inserts or replaces the alias (Type, Value, PrincipalID). Its
// principal must exist; CredentialID is kept as given. An alias of a
// stored credential takes over the unmatched exposures of the secret it
// names.
func (s *Store) PutAlias(ctx context.Context, a store.Alias) error {
	op := fmt.Sprintf("put alias %s %q", a.Type, a.Value)
	if a.Type == "" || a.Value == "" {
		return fmt.Errorf("%s: type and value: required: %w",
			op, store.ErrInvalid)
	}
	return s.Write(ctx, op, func(tx Tx) error {
		err := principalRef(ctx, tx, "principal_id", a.PrincipalID)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO aliases (`+aliasCols+
			`) VALUES (?, ?, ?, ?) ON CONFLICT (type, value, principal_id)
			DO UPDATE SET credential_id = excluded.credential_id`,
			a.Type, a.Value, a.PrincipalID, a.CredentialID)
		if err != nil {
			return err
		}
		return s.MatchAliasExposures(ctx, tx, a)
	})
}

// ResolveAlias returns every alias with that type and value, ordered by
// principal id and value (a folded type's values may differ in case);
// none is not an error. A type that store.FoldsCase compares with its
// ASCII letters folded, through an index (Dialect.foldedMatch).
func (s *Store) ResolveAlias(ctx context.Context, typ,
	value string) ([]store.Alias, error) {
	match := `value = ?`
	if store.FoldsCase(typ) {
		match = s.foldedMatch()
	}
	as, err := queryAll(ctx, s.Read, `SELECT `+aliasCols+` FROM aliases
		WHERE type = ? AND `+match+` ORDER BY principal_id, value`,
		[]any{typ, value}, scanAlias)
	if err != nil {
		return nil, fmt.Errorf("resolve alias %s: %w", typ, err)
	}
	return as, nil
}

// FindAliases returns every alias with that value, of any type, ordered
// by principal id, type and value. It serves an operator's look-up, not
// the engine.
func (s *Store) FindAliases(ctx context.Context,
	value string) ([]store.Alias, error) {
	as, err := queryAll(ctx, s.Read, `SELECT `+aliasCols+` FROM aliases
		WHERE value = ? OR (type IN (`+foldedTypes+`)
		AND `+s.foldedMatch()+`) ORDER BY principal_id, type, value`,
		[]any{value, value}, scanAlias)
	if err != nil {
		return nil, fmt.Errorf("find aliases %q: %w", value, err)
	}
	return as, nil
}

// ListAliases returns a principal's aliases ordered by type and value.
func (s *Store) ListAliases(ctx context.Context,
	principalID string) ([]store.Alias, error) {
	as, err := queryAll(ctx, s.Read, `SELECT `+aliasCols+` FROM aliases
		WHERE principal_id = ? ORDER BY type, value`,
		[]any{principalID}, scanAlias)
	if err != nil {
		return nil, fmt.Errorf("list aliases of %q: %w", principalID, err)
	}
	return as, nil
}

// scanAlias scans aliasCols.
func scanAlias(r RowScanner) (store.Alias, error) {
	var a store.Alias
	err := r.Scan(&a.Type, &a.Value, &a.PrincipalID, &a.CredentialID)
	return a, err
}
