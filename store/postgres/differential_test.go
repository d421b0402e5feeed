package postgres_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/sqlite"
)

// differential is a PostgreSQL registry and an SQLite one, written
// alike, whose answers must be the same.
type differential struct {
	pg, lite store.Store
}

func newDifferential(t *testing.T) differential {
	t.Helper()
	lite, err := sqlite.Open(t.Context(), ":memory:")
	must(t, err)
	t.Cleanup(func() { lite.Close() })
	return differential{pg: open(t), lite: lite}
}

// both runs write on each store; a store that refuses what the other
// takes fails the test.
func (d differential) both(t *testing.T, what string,
	write func(store.Store) error) {
	t.Helper()
	errPG, errLite := write(d.pg), write(d.lite)
	if (errPG == nil) != (errLite == nil) {
		t.Fatalf("%s: postgres %v, sqlite %v", what, errPG, errLite)
	}
}

// same fails the test unless read answers alike on both stores.
func same[T any](t *testing.T, d differential, what string,
	read func(store.Store) (T, error)) {
	t.Helper()
	gotPG, errPG := read(d.pg)
	gotLite, errLite := read(d.lite)
	if (errPG == nil) != (errLite == nil) {
		t.Fatalf("%s: postgres %v, sqlite %v", what, errPG, errLite)
	}
	if !reflect.DeepEqual(gotPG, gotLite) {
		t.Errorf("%s:\npostgres %+v\nsqlite   %+v", what, gotPG, gotLite)
	}
}

// randomIP is an origin address in one of the shapes alerts carry, or
// something close to one that is not an address.
func randomIP(r *rand.Rand) string {
	octet := func() string {
		n := r.IntN(256)
		if r.IntN(8) == 0 {
			return fmt.Sprintf("%03d", n) // a leading zero
		}
		return fmt.Sprint(n)
	}
	v4 := func() string {
		return strings.Join([]string{octet(), octet(), octet(), octet()}, ".")
	}
	group := func() string {
		return []string{"%x", "%04x", "%X"}[r.IntN(3)]
	}
	v6 := func(groups int) string {
		g := make([]string, groups)
		for i := range g {
			g[i] = fmt.Sprintf(group(), r.IntN(1<<16))
		}
		return strings.Join(g, ":")
	}
	switch r.IntN(10) {
	case 0, 1, 2:
		return v4()
	case 3:
		return v6(8)
	case 4:
		return v6(3) + "::" + v6(2)
	case 5:
		return []string{"::ffff:", "::FFFF:", "::", "64:ff9b::"}[r.IntN(4)] +
			v4()
	case 6:
		return "fe80::" + v6(1) + "%eth" + fmt.Sprint(r.IntN(2))
	case 7:
		return []string{" ", "", "\t"}[r.IntN(3)] + v4() +
			[]string{"", " ", "/24", ".1"}[r.IntN(4)]
	case 8:
		return []string{"", "10.1", "10", "1.2.3", "::1::2", "0x0a.0.0.1",
			"localhost", "10.0.0.256", "::", "0.0.0.0"}[r.IntN(10)]
	default:
		return "10." + octet() + "." + octet() + "." + octet()
	}
}

// randomPrefix is a network an operator may filter sessions by.
func randomPrefix(r *rand.Rand) netip.Prefix {
	var p string
	switch r.IntN(5) {
	case 0:
		p = fmt.Sprintf("10.%d.0.0/%d", r.IntN(4), 8+r.IntN(17))
	case 1:
		p = fmt.Sprintf("%d.0.0.0/%d", r.IntN(256), r.IntN(9))
	case 2:
		p = fmt.Sprintf("fe80::/%d", 10+r.IntN(60))
	case 3:
		p = fmt.Sprintf("::ffff:10.0.0.0/%d", 96+r.IntN(33))
	default:
		p = fmt.Sprintf("%x::/%d", r.IntN(1<<16), r.IntN(33))
	}
	return netip.MustParsePrefix(p)
}

// TestNetworkFilterAgreesWithSQLite: ListSessions by network answers as
// store/sqlite does for random origins and networks.
func TestNetworkFilterAgreesWithSQLite(t *testing.T) {
	d := newDifferential(t)
	ctx := t.Context()
	r := rand.New(rand.NewPCG(7, uint64(len(t.Name()))))
	d.both(t, "put alice", func(s store.Store) error {
		return s.PutPrincipal(ctx, store.Principal{ID: "alice",
			Kind: store.KindHuman})
	})
	ips := map[string]string{}
	for i := range 400 {
		ses := store.Session{ID: fmt.Sprintf("s%03d", i),
			PrincipalID: "alice", Origin: store.Origin{IP: randomIP(r)}}
		ips[ses.ID] = ses.Origin.IP
		d.both(t, "put session with origin "+ses.Origin.IP,
			func(s store.Store) error { return s.PutSession(ctx, ses) })
	}
	for range 60 {
		p := randomPrefix(r)
		same(t, d, "sessions in "+p.String(), func(s store.Store) ([]string, error) {
			ss, err := s.ListSessions(ctx, store.SessionFilter{Network: p})
			var out []string
			for _, ses := range ss {
				out = append(out, ses.ID+"="+ips[ses.ID])
			}
			return out, err
		})
	}
}

// randomName is an e-mail address or user name with letters in either
// case, some beyond ASCII that fold in Unicode but not in ASCII.
func randomName(r *rand.Rand) string {
	letters := []string{"a", "A", "l", "L", "i", "I", "k", "K", "s", "S",
		"é", "É", "ß", "ẞ", "İ", "ı", "\u212a", "ſ", ".", "@", "_", "0"}
	var b strings.Builder
	for range 1 + r.IntN(5) {
		b.WriteString(letters[r.IntN(len(letters))])
	}
	return b.String()
}

// TestAliasesAgreeWithSQLite: ResolveAlias, FindAliases and ListAliases
// answer as store/sqlite does for random names in any case, of types
// compared with and without case.
func TestAliasesAgreeWithSQLite(t *testing.T) {
	d := newDifferential(t)
	ctx := t.Context()
	r := rand.New(rand.NewPCG(11, uint64(len(t.Name()))))
	types := []string{"email", "username", "okta_user_id"}
	owners := []string{"alice", "bob", "carol"}
	for _, id := range owners {
		d.both(t, "put "+id, func(s store.Store) error {
			return s.PutPrincipal(ctx, store.Principal{ID: id,
				Kind: store.KindHuman})
		})
	}
	var names []string
	for range 300 {
		a := store.Alias{Type: types[r.IntN(len(types))],
			Value: randomName(r), PrincipalID: owners[r.IntN(3)]}
		names = append(names, a.Value)
		d.both(t, fmt.Sprintf("put alias %+v", a),
			func(s store.Store) error { return s.PutAlias(ctx, a) })
	}
	for range 300 {
		v := names[r.IntN(len(names))]
		if r.IntN(2) == 0 {
			v = randomName(r)
		}
		typ := types[r.IntN(len(types))]
		same(t, d, "resolve "+typ+" "+v, func(s store.Store) ([]store.Alias, error) {
			return s.ResolveAlias(ctx, typ, v)
		})
		same(t, d, "find "+v, func(s store.Store) ([]store.Alias, error) {
			return s.FindAliases(ctx, v)
		})
	}
	for _, id := range owners {
		same(t, d, "aliases of "+id, func(s store.Store) ([]store.Alias, error) {
			return s.ListAliases(ctx, id)
		})
	}
}

// TestTextPostgreSQLCannotHoldMatchesNothing: a look-up by text with a
// NUL character or that is not UTF-8 (an alert's "user": "alice\u0000",
// an id in a URL as %00 or %FF) finds nothing, as in SQLite: PostgreSQL
// refused the whole query (SQLSTATE 22021), so the alert's subject
// failed to resolve where SQLite found no one.
func TestTextPostgreSQLCannotHoldMatchesNothing(t *testing.T) {
	d := newDifferential(t)
	ctx := t.Context()
	d.both(t, "put alice", func(s store.Store) error {
		if err := s.PutPrincipal(ctx, store.Principal{ID: "alice",
			Kind: store.KindHuman}); err != nil {
			return err
		}
		if err := s.PutSession(ctx, store.Session{ID: "s1",
			PrincipalID: "alice"}); err != nil {
			return err
		}
		return s.PutAlias(ctx, store.Alias{Type: "email",
			Value: "alice@example.com", PrincipalID: "alice"})
	})
	for _, v := range []string{"alice\x00", "alice@example.com\x00",
		"\x00", "alice\xff", "s1\x00"} {
		same(t, d, "resolve "+v, func(s store.Store) ([]store.Alias, error) {
			return s.ResolveAlias(ctx, "email", v)
		})
		same(t, d, "find "+v, func(s store.Store) ([]store.Alias, error) {
			return s.FindAliases(ctx, v)
		})
		same(t, d, "sessions of "+v, func(s store.Store) (int, error) {
			ss, err := s.ListSessions(ctx, store.SessionFilter{
				PrincipalID: v})
			return len(ss), err
		})
		same(t, d, "sessions "+v, func(s store.Store) (int, error) {
			ss, err := s.ListSessions(ctx, store.SessionFilter{
				IDs: []string{"s1", v}})
			return len(ss), err
		})
		for name, st := range map[string]store.Store{"postgres": d.pg,
			"sqlite": d.lite} {
			if _, err := st.GetPrincipal(ctx, v); !errors.Is(err,
				store.ErrNotFound) {
				t.Errorf("%s: principal %q: %v, want ErrNotFound",
					name, v, err)
			}
			if _, err := st.GetSession(ctx, v); !errors.Is(err,
				store.ErrNotFound) {
				t.Errorf("%s: session %q: %v, want ErrNotFound", name, v, err)
			}
		}
	}
}

// TestTimesPastTheYear9999AgreeWithSQLite: a time outside the years 1
// to 9999 is kept as the nearest within them by both stores: SQLite's
// text of the year 10000 sorted before 2026, so a range from 2000 kept
// it out where PostgreSQL kept it in; one before the year 1 was written
// to SQLite and never read back, failing every list that held it; and
// PostgreSQL refused the year 300000.
func TestTimesPastTheYear9999AgreeWithSQLite(t *testing.T) {
	d := newDifferential(t)
	ctx := t.Context()
	d.both(t, "put alice", func(s store.Store) error {
		return s.PutPrincipal(ctx, store.Principal{ID: "alice",
			Kind: store.KindHuman})
	})
	for i, tm := range []time.Time{
		time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(300000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Unix(1<<62, 0),
	} {
		ses := store.Session{ID: fmt.Sprintf("s%d", i), PrincipalID: "alice",
			CreatedAt: tm, LastSeenAt: tm, ExpiresAt: tm}
		d.both(t, "put a session of "+tm.String(), func(s store.Store) error {
			return s.PutSession(ctx, ses)
		})
	}
	for _, f := range []store.SessionFilter{{}, {Created: store.TimeRange{
		From: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{Order: store.Order{By: "expires_at", Desc: true}}} {
		same(t, d, fmt.Sprintf("sessions %+v", f),
			func(s store.Store) ([]string, error) {
				ss, err := s.ListSessions(ctx, f)
				var out []string
				for _, x := range ss {
					out = append(out, x.ID+"@"+x.CreatedAt.String())
				}
				return out, err
			})
	}
}

// TestAWriteOfTextPostgreSQLCannotHoldIsInvalid: a write of text with a
// NUL character or that is not UTF-8 is refused as store.ErrInvalid by
// both stores: SQLite kept it, so a test on SQLite never met what
// PostgreSQL refuses (an action's error cut inside a character). A
// write whose INSERT returns a value too is refused alike.
func TestAWriteOfTextPostgreSQLCannotHoldIsInvalid(t *testing.T) {
	d := newDifferential(t)
	ctx := t.Context()
	d.both(t, "put alice", func(s store.Store) error {
		return s.PutPrincipal(ctx, store.Principal{ID: "alice",
			Kind: store.KindHuman})
	})
	for name, st := range map[string]store.Store{"postgres": d.pg,
		"sqlite": d.lite} {
		for what, err := range map[string]error{
			"a signal whose id holds a NUL": func() error {
				_, err := st.RecordSignal(ctx, store.SignalRecord{
					ID: "sig\x00", DedupKey: "d1"}, nil, nil)
				return err
			}(),
			"an alias holding a NUL": st.PutAlias(ctx, store.Alias{
				Type: "email", Value: "a\x00b", PrincipalID: "alice"}),
			"a principal named in bytes that are not UTF-8": st.PutPrincipal(
				ctx, store.Principal{ID: "bob", Kind: store.KindHuman,
					DisplayName: "caf\xc3"}),
		} {
			if !errors.Is(err, store.ErrInvalid) {
				t.Errorf("%s: %s: %v, want ErrInvalid", name, what, err)
			}
		}
	}
}
