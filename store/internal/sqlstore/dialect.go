package sqlstore

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// Dialect names the database a Store speaks to, for what the two write
// differently.
type Dialect int

const (
	// SQLite keeps times as RFC 3339 text (timeLayout).
	SQLite Dialect = iota
	// PostgreSQL keeps times as timestamptz.
	PostgreSQL
)

// timeLayout is RFC 3339 in UTC with a fixed six fractional digits, so
// that comparing the text compares the times (SQLite).
const timeLayout = "2006-01-02T15:04:05.000000Z"

// TimeArg is t as stored: NULL for the zero time, else
// store.NormalizeTime(t), as timeLayout text in SQLite and as itself,
// which a timestamptz holds exactly, in PostgreSQL.
func (d Dialect) TimeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	if d == PostgreSQL {
		return store.NormalizeTime(t)
	}
	return store.NormalizeTime(t).Format(timeLayout)
}

// deliveryRow is the select list of a delivery's values in
// EnqueueDeliveries' INSERT ... SELECT, whose columns PostgreSQL does not
// infer: id, stream_id, event_type, body, state, created_at, not_before.
func (d Dialect) deliveryRow() string {
	if d == PostgreSQL {
		return "?, ?, ?, ?::bytea, ?, ?::timestamptz, ?::timestamptz"
	}
	return "?, ?, ?, ?, ?, ?, ?"
}

// authorizationCol is the column of streams holding a stream's
// Authorization header: PostgreSQL reserves the word authorization.
func (d Dialect) authorizationCol() string {
	if d == PostgreSQL {
		return "authorization_header"
	}
	return "authorization"
}

// sortKey is the SQL of a nullable time column col as a key to page by:
// a NULL (a zero time) sorts first.
func (d Dialect) sortKey(col string) string {
	if d == PostgreSQL {
		return "coalesce(" + col + ", '-infinity')"
	}
	return "coalesce(" + col + ", '')"
}

// sortKeyArg is sortKey of a time argument.
func (d Dialect) sortKeyArg() string {
	if d == PostgreSQL {
		return "coalesce(?::timestamptz, '-infinity')"
	}
	return "coalesce(?, '')"
}

// foldedMatch is the condition that the column value equals the
// argument with their ASCII letters folded: SQLite's NOCASE, through the
// index of its migration 0011; in PostgreSQL, translate, through the
// index aliases_value_folded.
func (d Dialect) foldedMatch() string {
	if d == PostgreSQL {
		const fold = "translate(%s, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', " +
			"'abcdefghijklmnopqrstuvwxyz')"
		return fmt.Sprintf(fold, "value") + " = " + fmt.Sprintf(fold, "?")
	}
	return "value = ? COLLATE NOCASE"
}

// replaceRow is the statement that inserts a row of cols (the first of
// which is id) into table or replaces the row with that id: SQLite's
// INSERT OR REPLACE, and in PostgreSQL an update of every column, so
// that the update triggers of its migration 0002 see the change.
func (d Dialect) replaceRow(table, cols string) string {
	if d == PostgreSQL {
		return upsert(table, cols)
	}
	return `INSERT OR REPLACE INTO ` + table + ` (` + cols + `) VALUES (` +
		placeholders(len(strings.Split(cols, ", "))) + `)`
}

// originField is the SQL of a session's origin field name (country,
// ip) as text. PostgreSQL reads origin as jsonb: origins are stored as
// Go's JSON text, which writes a NUL character (one a user agent may
// hold) as \u0000, an escape jsonb refuses, failing the whole query, so
// it reads as U+FFFD there, and a field holding one matches no network
// and no country filter a caller can give, as in SQLite.
func (d Dialect) originField(name string) string {
	if d == PostgreSQL {
		return `replace(origin, '\u0000', '\ufffd')::jsonb ->> '` + name + `'`
	}
	return "json_extract(origin, '$." + name + "')"
}

// inNetwork is the condition that a session's origin address is in
// prefix p, and its argument. Both databases have the function
// killswitch_in_network (SQLite's is registered by store/sqlite). In
// SQLite the function is given the address cut at a NUL character, so
// one holding a NUL is refused first: it is not an address.
func (d Dialect) inNetwork(p netip.Prefix) (string, any) {
	ip := d.originField("ip")
	if d == PostgreSQL {
		return "killswitch_in_network(" + ip + ", ?::cidr)",
			p.Masked().String()
	}
	return "instr(CAST(" + ip + " AS BLOB), X'00') = 0" +
		" AND killswitch_in_network(" + ip + ", ?)", p.String()
}

// idIn is the condition that id is one of ids, and its argument: a JSON
// list in SQLite, an array in PostgreSQL.
func (d Dialect) idIn(ids []string) (string, any, error) {
	if d == PostgreSQL {
		return "id = ANY(?)", ids, nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return "", nil, err
	}
	return "id IN (SELECT value FROM json_each(?))", string(list), nil
}

// greatest is the SQL function of the larger of its arguments.
func (d Dialect) greatest() string {
	if d == PostgreSQL {
		return "GREATEST"
	}
	return "max"
}
