package api

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"time"
)

// Page sizes.
const (
	defaultLimit = 100
	maxLimit     = 1000
)

// pageLimit is the limit parameter, checked, or the default.
func pageLimit(p *int) (int, error) {
	if p == nil {
		return defaultLimit, nil
	}
	if *p < 1 || *p > maxLimit {
		return 0, badParam("limit", strconv.Itoa(*p), "not 1 to 1000")
	}
	return *p, nil
}

// cursor is where a page ends: the sort key of its last item. It goes
// to clients as opaque base64url JSON.
type cursor struct {
	ID   string    `json:"i"`
	Time time.Time `json:"t,omitzero"`
}

// encode is c as a next_cursor.
func (c cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads the cursor parameter; "" is the first page.
func decodeCursor(s string) (cursor, error) {
	var c cursor
	if s == "" {
		return c, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.ID == "" {
		return c, badParam("cursor", s, "not a cursor this server gave")
	}
	return c, nil
}

// trim cuts a page fetched with one item more than limit back to limit,
// and returns the cursor after it, "" when there is no more.
func trim[T any](items []T, limit int, key func(T) cursor) ([]T, string) {
	if len(items) <= limit {
		return items, ""
	}
	items = items[:limit]
	return items, key(items[limit-1]).encode()
}
