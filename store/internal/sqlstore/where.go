package sqlstore

import "strings"

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
