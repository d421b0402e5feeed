package sqlstore

import (
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
