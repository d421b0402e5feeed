package postgres

import (
	"reflect"
	"strings"

	"github.com/killswitch-dev/killswitch/store/internal/sqlstore"
)

// matchNothing is q asked with args, made to match nothing by the text
// PostgreSQL cannot hold: text with a NUL character or that is not
// UTF-8. No row holds such text (a write of it is store.ErrInvalid), so
// what the registry's queries do with the text a caller gives (an id,
// an alias, a filter: compare a column with it) matches no row, as in
// store/sqlite; PostgreSQL refused the whole query instead (SQLSTATE
// 22021), and a look-up of an alias an alert named with a NUL in it
// failed rather than found no one.
//
// A list argument (id = ANY(?)) loses the elements it cannot hold,
// which match nothing. A text argument makes the query answer no row:
// it still runs, the argument replaced by empty text, inside one that
// keeps none of its rows, so that it answers with its columns.
func matchNothing(q string, args []any) (string, []any) {
	if !isSelect(q) {
		// A write's text PostgreSQL cannot hold is refused, as
		// store.ErrInvalid (inWrite).
		return q, args
	}
	var out []any
	wrap := false
	for i, a := range args {
		held, ok, list := heldArg(a)
		if ok {
			continue
		}
		if out == nil {
			out = append([]any(nil), args...)
		}
		out[i], wrap = held, wrap || !list
	}
	switch {
	case out == nil:
		return q, args
	case wrap:
		return `SELECT * FROM (` + q + `) AS unheld WHERE false`, out
	}
	return q, out
}

// heldArg is a with the text PostgreSQL cannot hold taken out, whether
// a held it all, and whether a is a list: text is replaced by empty
// text, a list of text loses the elements. Text and lists of text are
// of any type of those kinds.
func heldArg(a any) (held any, ok, list bool) {
	v := reflect.ValueOf(a)
	switch {
	case !v.IsValid():
		return a, true, false
	case v.Kind() == reflect.String:
		if sqlstore.HoldsText(v.String()) {
			return a, true, false
		}
		return "", false, false
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.String:
		kept := make([]string, 0, v.Len())
		for i := range v.Len() {
			if s := v.Index(i).String(); sqlstore.HoldsText(s) {
				kept = append(kept, s)
			}
		}
		return kept, len(kept) == v.Len(), true
	}
	return a, true, false
}

// isSelect reports whether q is a SELECT, which writes nothing: one
// with RETURNING or a common table expression may write.
func isSelect(q string) bool {
	q = strings.TrimSpace(q)
	return len(q) >= 6 && strings.EqualFold(q[:6], "SELECT")
}
