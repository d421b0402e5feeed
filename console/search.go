package console

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// searchForm is the session search as typed, echoed back into the form.
type searchForm struct {
	Principal, Kind, SessionKind, Provider, Status string
	IP, Country                                    string
	CreatedAfter, CreatedBefore                    string
	SeenAfter, SeenBefore                          string
}

// fieldError is a search field that does not parse, named as the form
// labels it.
type fieldError struct {
	Field, Message string
}

// The choices the search offers for kinds and statuses.
var (
	principalKinds = []string{string(store.KindHuman),
		string(store.KindServiceAccount), string(store.KindAPIClient),
		string(store.KindAgent), string(store.KindWorkload)}
	sessionStatuses = []string{store.StatusActive, store.StatusRevoked,
		store.StatusExpired}
	sessionKinds = []string{"browser", "token", "api", "agent", "ssh"}
)

// searchLimit is how many sessions a search lists; the count covers
// them all.
const searchLimit = 200

func readSearch(q url.Values) searchForm {
	g := func(k string) string { return strings.TrimSpace(q.Get(k)) }
	return searchForm{Principal: g("principal"), Kind: g("kind"),
		SessionKind: g("session_kind"), Provider: g("provider"),
		Status: g("status"), IP: g("ip"), Country: g("country"),
		CreatedAfter: g("created_after"), CreatedBefore: g("created_before"),
		SeenAfter: g("seen_after"), SeenBefore: g("seen_before")}
}

// Query is the form as URL parameters, empty ones left out.
func (f searchForm) Query() string {
	q := url.Values{}
	for k, v := range map[string]string{"principal": f.Principal,
		"kind": f.Kind, "session_kind": f.SessionKind,
		"provider": f.Provider, "status": f.Status, "ip": f.IP,
		"country": f.Country, "created_after": f.CreatedAfter,
		"created_before": f.CreatedBefore, "seen_after": f.SeenAfter,
		"seen_before": f.SeenBefore} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q.Encode()
}

// Href is Query for a link: already encoded, so the template must not
// encode it again.
func (f searchForm) Href() template.URL { return template.URL(f.Query()) }

// filter checks the form and builds the store filter; each bad field is
// an error naming it and the value.
func (f searchForm) filter() (store.SessionFilter, []fieldError) {
	var errs []fieldError
	bad := func(field, format string, args ...any) {
		errs = append(errs, fieldError{field, fmt.Sprintf(format, args...)})
	}
	sf := store.SessionFilter{PrincipalID: f.Principal, Kind: f.SessionKind,
		Provider: f.Provider, Status: f.Status}
	var err error
	if sf.Country, err = store.ParseCountry(f.Country); err != nil {
		bad("Country", "%q is %v", f.Country, err)
	}
	if f.Kind != "" {
		sf.PrincipalKinds = []store.PrincipalKind{store.PrincipalKind(f.Kind)}
		if !slices.Contains(principalKinds, f.Kind) {
			bad("Principal kind", "%q is not one of %s", f.Kind,
				strings.Join(principalKinds, ", "))
		}
	}
	if f.Status != "" && !slices.Contains(sessionStatuses, f.Status) {
		bad("Status", "%q is not one of %s", f.Status,
			strings.Join(sessionStatuses, ", "))
	}
	if f.IP != "" {
		if sf.Network, err = parseNetwork(f.IP); err != nil {
			bad("Origin IP or network", "%q is not an IP address or a "+
				"CIDR prefix", f.IP)
		}
	}
	for _, t := range []struct {
		field, v string
		dst      *time.Time
	}{{"Created after", f.CreatedAfter, &sf.Created.From},
		{"Created before", f.CreatedBefore, &sf.Created.To},
		{"Last seen after", f.SeenAfter, &sf.LastSeen.From},
		{"Last seen before", f.SeenBefore, &sf.LastSeen.To}} {
		var err error
		if *t.dst, err = parseTime(t.v); err != nil {
			bad(t.field, "%v", err)
		}
	}
	for _, r := range []struct {
		field, after, before string
		tr                   store.TimeRange
	}{{"Created", f.CreatedAfter, f.CreatedBefore, sf.Created},
		{"Last seen", f.SeenAfter, f.SeenBefore, sf.LastSeen}} {
		if !r.tr.From.IsZero() && !r.tr.To.IsZero() &&
			!r.tr.To.After(r.tr.From) {
			bad(r.field+" before", "%q is not after %s after (%q): the "+
				"range holds no time", r.before, strings.ToLower(r.field),
				r.after)
		}
	}
	return sf, errs
}

// parseNetwork reads an address (a prefix of its full length) or a CIDR
// prefix.
func parseNetwork(v string) (netip.Prefix, error) {
	if a, err := netip.ParseAddr(v); err == nil {
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(v)
	return p.Masked(), err
}

// timeLayouts are the forms a time may take in the search: what a
// datetime-local input sends, a date, or RFC 3339. All but RFC 3339 are
// UTC.
var timeLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05",
	"2006-01-02", time.RFC3339}

func parseTime(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time (2026-12-04T07:30, "+
		"2026-12-04 or RFC 3339, UTC)", v)
}

// sessionRow is a session with its principal's kind.
type sessionRow struct {
	store.Session
	PrincipalKind string
}

type searchData struct {
	Form     searchForm
	Errors   []fieldError
	Searched bool
	Rows     []sessionRow
	Matched  int
	// Scoped is true for a scoped caller, who is told nothing of the
	// sessions outside its scope, not even how many.
	Scoped       bool
	Active       int
	Limit        int
	Kinds        []string
	Statuses     []string
	SessionKinds []string
}

func (c *Console) search(w http.ResponseWriter, r *http.Request, who Caller) {
	d := searchData{Form: readSearch(r.URL.Query()), Limit: searchLimit,
		Kinds: principalKinds, Statuses: sessionStatuses,
		SessionKinds: sessionKinds, Searched: r.URL.RawQuery != ""}
	f, errs := d.Form.filter()
	if len(errs) > 0 {
		d.Errors = errs
		c.render(w, r, who, http.StatusBadRequest, "sessions", "Sessions", d)
		return
	}
	if err := c.fillSearch(r.Context(), who, f, &d); err != nil {
		c.failErr(w, r, who, "search sessions", err)
		return
	}
	c.render(w, r, who, http.StatusOK, "sessions", "Sessions", d)
}

func (c *Console) fillSearch(ctx context.Context, who Caller,
	f store.SessionFilter, d *searchData) error {
	var err error
	d.Scoped = !who.Scope(c.st).Open()
	if d.Matched, err = c.countInScope(ctx, who, f); err != nil {
		return err
	}
	live := f
	live.Status = store.StatusActive
	if f.Status == "" || f.Status == store.StatusActive {
		if d.Active, err = c.countInScope(ctx, who, live); err != nil {
			return err
		}
	}
	d.Rows, err = c.listInScope(ctx, who, f, searchLimit)
	return err
}

// countInScope counts the sessions matching f in the caller's scope;
// those outside it are not counted, so as to tell nothing of them.
func (c *Console) countInScope(ctx context.Context, who Caller,
	f store.SessionFilter) (int, error) {
	counts, err := c.st.CountSessions(ctx, f)
	if err != nil {
		return 0, err
	}
	in := 0
	for _, n := range counts {
		if who.InScope(string(n.PrincipalKind), n.Provider) {
			in += n.Count
		}
	}
	return in, nil
}

// listInScope lists up to n sessions matching f in the caller's scope,
// reading on past those outside it.
func (c *Console) listInScope(ctx context.Context, who Caller,
	f store.SessionFilter, n int) ([]sessionRow, error) {
	var rows []sessionRow
	f.Limit = n
	for {
		ses, err := c.st.ListSessions(ctx, f)
		if err != nil {
			return nil, err
		}
		in, err := c.scoped(ctx, who, ses)
		if err != nil {
			return nil, err
		}
		rows = append(rows, in...)
		if len(rows) >= n || len(ses) < f.Limit {
			return rows[:min(len(rows), n)], nil
		}
		last := ses[len(ses)-1]
		f.After = store.PageKey{ID: last.ID, Time: pageTime(f.Order, last)}
	}
}

// scoped keeps the sessions in the caller's scope, with their
// principal's kind.
func (c *Console) scoped(ctx context.Context, who Caller,
	ses []store.Session) ([]sessionRow, error) {
	kinds := map[string]string{}
	rows := make([]sessionRow, 0, len(ses))
	for _, s := range ses {
		k, ok := kinds[s.PrincipalID]
		if !ok {
			p, err := c.st.GetPrincipal(ctx, s.PrincipalID)
			if err != nil {
				return nil, err
			}
			k = string(p.Kind)
			kinds[s.PrincipalID] = k
		}
		if who.InScope(k, s.Provider) {
			rows = append(rows, sessionRow{Session: s, PrincipalKind: k})
		}
	}
	return rows, nil
}

// pageTime is s's time in the column o sorts by, for a page key.
func pageTime(o store.Order, s store.Session) time.Time {
	switch o.By {
	case "last_seen_at":
		return s.LastSeenAt
	case "expires_at":
		return s.ExpiresAt
	}
	return s.CreatedAt
}
