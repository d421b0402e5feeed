package api

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/killswitch-dev/killswitch/duration"
	"github.com/killswitch-dev/killswitch/store"
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
	// Of names the list and the filters and order it was given for
	// (listOf); a cursor is refused on another list or other filters.
	Of string `json:"o"`
}

// listOf names a list and its parameters but the cursor and the limit,
// for a cursor: the list's name and a fingerprint of the parameters.
func listOf(name string, params any) string {
	b, _ := json.Marshal(params)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	delete(m, "cursor")
	delete(m, "limit")
	b, _ = json.Marshal(m) // keys sorted: the same filters, the same bytes
	sum := sha256.Sum256(b)
	return name + ":" + hex.EncodeToString(sum[:8])
}

// encode is c as a next_cursor.
func (c cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads the cursor parameter of the list of (listOf); ""
// is the first page.
func decodeCursor(s, of string) (cursor, error) {
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
	if c.Of != of {
		return c, badParam("cursor", s, "given for another list, or "+
			"with other filters or another sort: a cursor goes on the "+
			"list it came from, with the same parameters")
	}
	return c, nil
}

// order reads a sort parameter: a time column, "-" first for newest
// first.
func order(sort string) store.Order {
	by, desc := strings.CutPrefix(sort, "-")
	return store.Order{By: by, Desc: desc}
}

// timeOf is the time in the column o sorts by, for a cursor.
func timeOf(o store.Order, created, lastSeen, expires time.Time) time.Time {
	switch o.By {
	case "last_seen_at", "last_used_at":
		return lastSeen
	case "expires_at":
		return expires
	}
	return created
}

// parseNetwork reads the network parameter: a CIDR prefix, or one
// address (its own /32 or /128).
func parseNetwork(v string) (netip.Prefix, error) {
	if v == "" {
		return netip.Prefix{}, nil
	}
	if p, err := netip.ParsePrefix(v); err == nil {
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(v)
	if err != nil {
		return netip.Prefix{}, badParam("network", v,
			"not a CIDR prefix (203.0.113.0/24) or an IP address")
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// parseCountry reads a country parameter as store.ParseCountry does.
func parseCountry(param, v string) (string, error) {
	c, err := store.ParseCountry(v)
	if err != nil {
		return "", badParam(param, v, err.Error())
	}
	return c, nil
}

// parseAge reads an age: a number of days ("5d") or a Go duration
// ("36h"), positive.
func parseAge(param, v string) (time.Duration, error) {
	d, err := duration.Parse(v)
	if err != nil || d <= 0 {
		return 0, badParam(param, v, "not a positive age such as 5d or 36h")
	}
	return d, nil
}

// timeRange is the store range of an after (inclusive) and a before
// (exclusive) parameter; checkRange has refused an empty one.
func timeRange(after, before time.Time) store.TimeRange {
	return store.TimeRange{From: after, To: before}
}

// checkRange refuses a range that holds no instant, naming its before
// parameter (name+"_before"): a mistake, not a question whose answer is
// nothing.
func checkRange(name string, after, before time.Time) error {
	if after.IsZero() || before.IsZero() || before.After(after) {
		return nil
	}
	return badParam(name+"_before", before.Format(time.RFC3339Nano),
		"not after "+name+"_after ("+after.Format(time.RFC3339Nano)+
			"): the range holds no time")
}

// trim cuts a page fetched with one item more than limit back to limit,
// and returns the cursor after it on the list of (listOf), "" when there
// is no more.
func trim[T any](items []T, limit int, of string,
	key func(T) cursor) ([]T, string) {
	if len(items) <= limit {
		return items, ""
	}
	items = items[:limit]
	c := key(items[limit-1])
	c.Of = of
	return items, c.encode()
}
