package sqlstore

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/killswitch-dev/killswitch/store"
)

// timeCol scans a stored time into *t: timeLayout text (SQLite) or a
// time (PostgreSQL); NULL is the zero time.
type timeCol struct{ t *time.Time }

// Scan implements sql.Scanner.
func (c timeCol) Scan(v any) error {
	if t, ok := v.(time.Time); ok {
		*c.t = store.NormalizeTime(t)
		return nil
	}
	s, ok, err := text(v)
	if err != nil || !ok {
		*c.t = time.Time{}
		return err
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("stored time %q: %w", s, err)
	}
	*c.t = store.NormalizeTime(t)
	return nil
}

// rawArg is a JSON value as stored: NULL when empty, else its exact text.
func rawArg(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

// rawCol scans stored JSON text into *r, byte for byte.
type rawCol struct{ r *json.RawMessage }

// Scan implements sql.Scanner.
func (c rawCol) Scan(v any) error {
	s, ok, err := text(v)
	if !ok {
		*c.r = nil
		return err
	}
	*c.r = json.RawMessage(s)
	return nil
}

// jsonArg encodes v as JSON text, or NULL when empty is true.
func jsonArg(v any, empty bool) (any, error) {
	if empty {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// jsonCol decodes stored JSON text into v; NULL leaves v alone.
type jsonCol struct{ v any }

// Scan implements sql.Scanner.
func (c jsonCol) Scan(v any) error {
	s, ok, err := text(v)
	if !ok {
		return err
	}
	return json.Unmarshal([]byte(s), c.v)
}

// text is a TEXT column's value; ok is false for NULL.
func text(v any) (s string, ok bool, err error) {
	switch v := v.(type) {
	case nil:
		return "", false, nil
	case string:
		return v, true, nil
	case []byte:
		return string(v), true, nil
	}
	return "", false, fmt.Errorf("stored value of type %T, want text", v)
}

// limitClause is the LIMIT for n, where 0 means no limit.
func limitClause(n int) (string, error) {
	if n < 0 {
		return "", fmt.Errorf("limit %d: must not be negative: %w",
			n, store.ErrInvalid)
	}
	if n == 0 {
		return "", nil
	}
	return fmt.Sprintf(" LIMIT %d", n), nil
}

// placeholders is "?, ?, ..." for n values.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// upsert is the statement that inserts a row of cols (the first of which
// is id, unique) into table, or updates every column of the row with
// that id. Unlike SQLite's INSERT OR REPLACE, which deletes the row and
// inserts another, the row keeps its seq, and with it its place among
// rows of the same time, and update triggers see the change.
func upsert(table, cols string) string {
	names := strings.Split(cols, ", ")
	set := make([]string, 0, len(names)-1)
	for _, c := range names[1:] {
		set = append(set, c+" = excluded."+c)
	}
	return `INSERT INTO ` + table + ` (` + cols + `) VALUES (` +
		placeholders(len(names)) + `) ON CONFLICT (id) DO UPDATE SET ` +
		strings.Join(set, ", ")
}

// NewID returns prefix and a fresh ULID.
func NewID(prefix string) string {
	return prefix + ulid.Make().String()
}

// checkJSON returns an error wrapping store.ErrInvalid when b is not
// empty and not valid JSON.
func checkJSON(field string, b json.RawMessage) error {
	if len(b) > 0 && !json.Valid(b) {
		return fmt.Errorf("%s: not valid JSON: %w", field, store.ErrInvalid)
	}
	return nil
}

// revocationCols is the revoked_* columns of a credential or session.
const revocationCols = "revoked_at, revoked_by, revoked_reason, " +
	"revoked_signal_id, revoked_action_id"

// revocationArgs are the values of revocationCols for r.
func (d Dialect) revocationArgs(r *store.Revocation) []any {
	if r == nil {
		return []any{nil, nil, nil, nil, nil}
	}
	return []any{d.TimeArg(r.At), r.By, r.Reason, r.SignalID, r.ActionID}
}

// revocationScan scans revocationCols; a NULL revoked_by means none.
type revocationScan struct {
	at                             time.Time
	by, reason, signalID, actionID sql.NullString
}

// dest returns the scan destinations, in revocationCols order.
func (r *revocationScan) dest() []any {
	return []any{timeCol{&r.at}, &r.by, &r.reason, &r.signalID, &r.actionID}
}

// value is the scanned revocation, or nil.
func (r *revocationScan) value() *store.Revocation {
	if !r.by.Valid {
		return nil
	}
	return &store.Revocation{At: r.at, By: r.by.String,
		Reason: r.reason.String, SignalID: r.signalID.String,
		ActionID: r.actionID.String}
}

// checkEffect returns an error wrapping store.ErrInvalid, naming the
// field, when e is not a revocation effect.
func checkEffect(e store.Effect) error {
	if !e.Valid() {
		return fmt.Errorf("revocation_effect: unknown effect %q "+
			"(want immediate, eventual or at_expiry): %w", e, store.ErrInvalid)
	}
	return nil
}

// keyset orders by the time column o names (one of allowed; the first
// is the default), then id, and adds the condition that keeps the rows
// after key, as d stores times. It returns the ORDER BY clause, or an error naming the
// field order when o.By is not allowed.
func (w *where) keyset(d Dialect, o store.Order, after store.PageKey,
	allowed ...string) (string, error) {
	col := o.By
	if col == "" {
		col = allowed[0]
	}
	if !slices.Contains(allowed, col) {
		return "", fmt.Errorf("order: cannot sort by %q (want one of %s): %w",
			o.By, strings.Join(allowed, ", "), store.ErrInvalid)
	}
	key, cmp, dir := d.sortKey(col), ">", ""
	if o.Desc {
		cmp, dir = "<", " DESC"
	}
	if after.ID != "" {
		w.add("("+key+", id) "+cmp+" ("+d.sortKeyArg()+", ?)",
			d.TimeArg(after.Time), after.ID)
	}
	return " ORDER BY " + key + dir + ", id" + dir, nil
}
