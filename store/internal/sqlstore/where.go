package sqlstore

import (
	"strings"

	"github.com/killswitch-dev/killswitch/store"
)

// where builds a WHERE clause from equality conditions on non-empty
// values.
type where struct {
	conds []string
	args  []any
}

// eq adds "col = v" unless v is empty.
func (w *where) eq(col, v string) {
	if v != "" {
		w.add(col+" = ?", v)
	}
}

// add adds a condition with its arguments.
func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// String is the clause, or "" when there are no conditions.
func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// in adds "col IN (vs...)" unless vs is empty; in PostgreSQL "col =
// ANY(vs)", one argument, whose elements it cannot hold as text (a NUL
// character, not UTF-8) store/postgres leaves out: they match nothing.
func in[T ~string](d Dialect, w *where, col string, vs []T) {
	if len(vs) == 0 {
		return
	}
	args := make([]string, len(vs))
	for i, v := range vs {
		args[i] = string(v)
	}
	if d == PostgreSQL {
		w.add(col+" = ANY(?)", args)
		return
	}
	list := make([]any, len(args))
	for i, v := range args {
		list[i] = v
	}
	w.add(col+" IN ("+placeholders(len(list))+")", list...)
}

// timeRange adds "col >= from" and "col < to" for the ends that are set,
// as d stores them.
func (w *where) timeRange(d Dialect, col string, r store.TimeRange) {
	if !r.From.IsZero() {
		w.add(col+" >= ?", d.TimeArg(r.From))
	}
	if !r.To.IsZero() {
		w.add(col+" < ?", d.TimeArg(r.To))
	}
}
