package introspect

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/sqlite"
)

// now is the tests' clock.
var now = time.Date(2026, 12, 4, 8, 0, 0, 0, time.UTC)

func clock() time.Time { return now }

// tokenPrint is the fingerprint of alice's API token in the fixture.
const tokenPrint = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

// open opens a registry in a temporary file and returns it with the
// file's path.
func open(t *testing.T) (*sqlite.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ks.db")
	st, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, path
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// fixture fills st with principals, credentials, sessions and locks that
// cover every reason an answer can give.
func fixture(t *testing.T, st store.Store) {
	t.Helper()
	ctx := t.Context()
	for _, id := range []string{"alice", "bob", "carol", "dave", "erin"} {
		must(t, st.PutPrincipal(ctx, store.Principal{ID: id,
			Kind: store.KindHuman}))
	}
	must(t, st.PutCredential(ctx, store.Credential{ID: "alice-token",
		PrincipalID: "alice", Kind: "api_key", Store: "github",
		Fingerprint: "sha256:" + tokenPrint,
		ExpiresAt:   now.Add(30 * 24 * time.Hour)}))
	must(t, st.PutCredential(ctx, store.Credential{ID: "bob-key",
		PrincipalID: "bob", Kind: "api_key", Store: "github",
		Fingerprint: "sha256:" + tokenPrint[:63] + "1"}))
	sessions := []store.Session{
		{ID: "alice-web", PrincipalID: "alice", Provider: "okta",
			ExternalID: "okta-1", CredentialID: "alice-token",
			Origin:    store.Origin{IP: "198.51.100.20", Device: "mac"},
			ExpiresAt: now.Add(time.Hour)},
		{ID: "alice-old", PrincipalID: "alice", Provider: "okta",
			ExpiresAt: now.Add(-time.Minute)},
		{ID: "bob-web", PrincipalID: "bob", CredentialID: "bob-key"},
		{ID: "carol-web", PrincipalID: "carol"},
		{ID: "dave-vpn", PrincipalID: "dave",
			Origin: store.Origin{IP: "203.0.113.9"}},
		{ID: "erin-web", PrincipalID: "erin",
			Origin: store.Origin{Device: "stolen-phone"}},
		{ID: "erin-ssh", PrincipalID: "erin"},
	}
	for _, s := range sessions {
		must(t, st.PutSession(ctx, s))
	}
	must(t, st.PutLock(ctx, store.Lock{ID: "lck-origin", TargetType: "origin",
		Target: "203.0.113.0/24", Reason: "botnet", CreatedBy: "operator:kim",
		ExpiresAt: now.Add(2 * time.Hour)}))
	must(t, st.PutLock(ctx, store.Lock{ID: "lck-device", TargetType: "device",
		Target: "stolen-phone", Reason: "reported stolen",
		CreatedBy: "operator:kim"}))
	_, _, err := st.RevokeCredential(ctx, "bob-key", store.Revocation{At: now,
		By: "operator:kim", Reason: "leaked"})
	must(t, err)
	_, err = st.SetPrincipalStatus(ctx, "carol", "disabled")
	must(t, err)
}

// loaded is an Index over st, refreshed once.
func loaded(t *testing.T, st store.Store) *Index {
	t.Helper()
	x := New(st, Config{Page: 2}, clock, slog.New(slog.DiscardHandler))
	must(t, x.Refresh(t.Context()))
	return x
}

func TestAnswers(t *testing.T) {
	st, _ := open(t)
	fixture(t, st)
	x := loaded(t, st)
	tests := []struct {
		name   string
		req    Request
		active bool
		reason string
		until  time.Time
		lock   string
	}{
		{"A live session is active until it expires",
			Request{SessionID: "alice-web"}, true, "", now.Add(time.Hour), ""},
		{"A session is found by its provider's id",
			Request{Provider: "okta", ExternalID: "okta-1"}, true, "",
			now.Add(time.Hour), ""},
		{"A session past its expiry is expired",
			Request{SessionID: "alice-old"}, false, ReasonExpired,
			now.Add(-time.Minute), ""},
		{"A session whose credential was revoked is not active",
			Request{SessionID: "bob-web"}, false, ReasonCredentialRevoked,
			time.Time{}, ""},
		{"A session of a disabled principal is not active",
			Request{SessionID: "carol-web"}, false, ReasonPrincipalDisabled,
			time.Time{}, ""},
		{"A session from a locked network is locked until the lock ends",
			Request{SessionID: "dave-vpn"}, false, "origin_locked",
			now.Add(2 * time.Hour), "lck-origin"},
		{"A session on a locked device is locked for as long as the lock",
			Request{SessionID: "erin-web"}, false, "device_locked",
			time.Time{}, "lck-device"},
		{"Another session of the same principal is not held by a device lock",
			Request{SessionID: "erin-ssh"}, true, "", time.Time{}, ""},
		{"An unknown session is unknown",
			Request{SessionID: "nobody"}, false, ReasonUnknown, time.Time{}, ""},
		{"A token is found by its fingerprint, in any case, with a prefix",
			Request{TokenFingerprint: "SHA256:" + upper(tokenPrint)}, true, "",
			now.Add(30 * 24 * time.Hour), ""},
		{"A revoked token is revoked",
			Request{TokenFingerprint: tokenPrint[:63] + "1"}, false,
			ReasonRevoked, time.Time{}, ""},
		{"An unknown fingerprint is unknown",
			Request{TokenFingerprint: tokenPrint[:63] + "2"}, false,
			ReasonUnknown, time.Time{}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			must(t, tc.req.Validate())
			a, err := x.Answer(tc.req, nil)
			must(t, err)
			lock := ""
			if a.Lock != nil {
				lock = a.Lock.ID
			}
			if a.Active != tc.active || a.Reason != tc.reason ||
				!a.Until.Equal(tc.until) || lock != tc.lock {
				t.Fatalf("answer = %+v, want active %v, reason %q, until "+
					"%v, lock %q", a, tc.active, tc.reason, tc.until, tc.lock)
			}
			if !a.AsOf.Equal(now) {
				t.Fatalf("as of %v, want %v", a.AsOf, now)
			}
		})
	}
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'f' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

func TestRevocationAnswerSaysWhoAndWhy(t *testing.T) {
	st, _ := open(t)
	fixture(t, st)
	x := loaded(t, st)
	_, err := st.RevokeSessions(t.Context(), store.SessionFilter{
		PrincipalID: "alice"}, store.Revocation{At: now, By: "operator:kim",
		Reason: "INC-4711"})
	must(t, err)
	must(t, x.Refresh(t.Context()))
	a, err := x.Session("alice-web")
	must(t, err)
	if a.Active || a.Reason != ReasonRevoked || a.Revocation == nil ||
		a.Revocation.Reason != "INC-4711" || a.Revocation.By != "operator:kim" {
		t.Fatalf("answer = %+v, want revoked by operator:kim for INC-4711", a)
	}
}

func TestNotReadyBeforeTheFirstRefresh(t *testing.T) {
	st, _ := open(t)
	x := New(st, Config{}, clock, slog.New(slog.DiscardHandler))
	for _, req := range []Request{{SessionID: "s"},
		{TokenFingerprint: tokenPrint}, {Provider: "p", ExternalID: "e"}} {
		if _, err := x.Answer(req, nil); !errors.Is(err, ErrNotReady) {
			t.Fatalf("%+v: error = %v, want ErrNotReady", req, err)
		}
	}
}

func TestLocksPlacedAndLiftedAreFollowed(t *testing.T) {
	st, _ := open(t)
	fixture(t, st)
	x := loaded(t, st)
	must(t, st.PutLock(t.Context(), store.Lock{ID: "lck-alice",
		TargetType: "principal", Target: "alice", Reason: "INC-9",
		CreatedBy: "operator:kim", ExpiresAt: now.Add(24 * time.Hour)}))
	must(t, x.Refresh(t.Context()))
	for _, req := range []Request{{SessionID: "alice-web"},
		{TokenFingerprint: tokenPrint}} {
		a, err := x.Answer(req, nil)
		must(t, err)
		if a.Active || a.Reason != "principal_locked" ||
			!a.Until.Equal(now.Add(24*time.Hour)) {
			t.Fatalf("%+v: answer = %+v, want locked for a day", req, a)
		}
	}
	_, err := st.LiftLock(t.Context(), "lck-alice", "operator:kim",
		"owner verified", now)
	must(t, err)
	must(t, x.Refresh(t.Context()))
	if a, _ := x.Session("alice-web"); !a.Active {
		t.Fatalf("after the lift: %+v, want active", a)
	}
}

func TestAnotherProcessOnTheStoreIsSeenWithinAPoll(t *testing.T) {
	st, path := open(t)
	fixture(t, st)
	other, err := sqlite.Open(t.Context(), path)
	must(t, err)
	defer other.Close()
	x := New(st, Config{Poll: 10 * time.Millisecond}, clock,
		slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- x.Run(ctx) }()
	defer func() { cancel(); <-done }()
	waitFor(t, x, "alice-web", true)
	_, err = other.RevokeSessions(t.Context(), store.SessionFilter{
		IDs: []string{"alice-web"}}, store.Revocation{At: now, By: "sync:okta",
		Reason: "gone"})
	must(t, err)
	waitFor(t, x, "alice-web", false)
}

// waitFor waits until the index says the session is active or not, and
// fails the test after ten seconds.
func waitFor(t *testing.T, x *Index, id string, active bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		a, err := x.Session(id)
		if err == nil && a.Active == active {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("session %s: %+v, %v; want active %v", id, a, err, active)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestPublishRefreshesAtOnce(t *testing.T) {
	st, _ := open(t)
	fixture(t, st)
	x := loaded(t, st)
	_, err := st.RevokeSessions(t.Context(), store.SessionFilter{
		IDs: []string{"erin-ssh"}}, store.Revocation{At: now, By: "policy:x",
		Reason: "alert"})
	must(t, err)
	must(t, x.Publish(t.Context(), nil))
	if a, _ := x.Session("erin-ssh"); a.Active || a.Reason != ReasonRevoked {
		t.Fatalf("answer = %+v, want revoked", a)
	}
}

func TestBadRequestsNameWhatIsWrong(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"An empty body", "", "empty"},
		{"Not JSON", "session_id=x", "not JSON at byte 1"},
		{"No target", `{}`, "exactly one"},
		{"Two targets", `{"session_id":"a","token_fingerprint":"` +
			tokenPrint + `"}`, "exactly one"},
		{"A provider without an external id", `{"provider":"okta"}`,
			"go together"},
		{"A fingerprint that is not SHA-256 hex",
			`{"token_fingerprint":"abc"}`, "token_fingerprint: not a SHA-256"},
		{"A field of the wrong type", `{"session_id":5}`,
			"session_id: want a string"},
		{"An unknown field", `{"token":"secret"}`, `unknown field "token"`},
		{"Two values", `{"session_id":"a"}{}`, "more than one"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeRequest(strings.NewReader(tc.body))
			if !errors.Is(err, ErrBadRequest) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want ErrBadRequest saying %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Fatalf("error %q echoes the body", err)
			}
		})
	}
}

func TestACallerLearnsNothingOutsideItsScope(t *testing.T) {
	st, _ := open(t)
	fixture(t, st)
	x := loaded(t, st)
	bots := func(k store.PrincipalKind, _ string) bool {
		return k == store.KindServiceAccount
	}
	oktaOnly := func(_ store.PrincipalKind, p string) bool { return p == "okta" }
	for _, c := range []struct {
		req   Request
		allow Allow
	}{
		{Request{SessionID: "alice-web"}, bots},
		{Request{Provider: "okta", ExternalID: "okta-1"}, bots},
		{Request{TokenFingerprint: tokenPrint}, bots},
		{Request{TokenFingerprint: tokenPrint}, oktaOnly},
	} {
		a, err := x.Answer(c.req, c.allow)
		must(t, err)
		if a.Reason != ReasonUnknown || a.PrincipalID != "" {
			t.Fatalf("%+v: answer %+v, want unknown", c.req, a)
		}
	}
	a, err := x.Answer(Request{SessionID: "alice-web"}, oktaOnly)
	must(t, err)
	if !a.Active {
		t.Fatalf("alice's Okta session for an Okta-scoped caller: %+v", a)
	}
	if k, ok := x.PrincipalKind("alice"); !ok || k != store.KindHuman {
		t.Fatalf("kind of alice = %q, %v", k, ok)
	}
}

func TestMetricsSayHowStaleTheAnswersAre(t *testing.T) {
	st, _ := open(t)
	fixture(t, st)
	cur := now
	x := New(st, Config{}, func() time.Time { return cur },
		slog.New(slog.DiscardHandler))
	reg := prometheus.NewPedanticRegistry()
	must(t, x.Register(reg))
	must(t, x.Refresh(t.Context()))
	cur = now.Add(90 * time.Second)
	got := map[string]float64{}
	mfs, err := reg.Gather()
	must(t, err)
	for _, mf := range mfs {
		m := mf.GetMetric()[0]
		got[mf.GetName()] = m.GetGauge().GetValue() + m.GetCounter().GetValue()
	}
	if got["killswitch_introspection_age_seconds"] != 90 ||
		got["killswitch_introspection_sessions"] != 7 ||
		got["killswitch_introspection_refresh_failures_total"] != 0 {
		t.Fatalf("metrics %v, want 90s old, 7 sessions, no failures", got)
	}
	st.Close()
	if err := x.Refresh(t.Context()); err == nil {
		t.Fatal("a refresh from a closed store did not fail")
	}
	if n := testutil.ToFloat64(x.failures); n != 1 {
		t.Fatalf("%v failures counted, want 1", n)
	}
}

func TestLongEndedSessionsAreForgotten(t *testing.T) {
	st, _ := open(t)
	fixture(t, st)
	ctx := t.Context()
	must(t, st.PutSession(ctx, store.Session{ID: "alice-2019",
		PrincipalID: "alice", Provider: "okta", ExternalID: "okta-2019",
		ExpiresAt: now.Add(-8 * 24 * time.Hour)}))
	_, err := st.RevokeSessions(ctx, store.SessionFilter{
		IDs: []string{"erin-ssh"}}, store.Revocation{
		At: now.Add(-30 * 24 * time.Hour), By: "operator:kim", Reason: "old"})
	must(t, err)
	x := loaded(t, st)
	for _, id := range []string{"alice-2019", "erin-ssh"} {
		if a, _ := x.Session(id); a.Active || a.Reason != ReasonUnknown {
			t.Fatalf("%s ended over a week ago: %+v, want unknown", id, a)
		}
	}
	if a, _ := x.External("okta", "okta-2019"); a.Reason != ReasonUnknown {
		t.Fatalf("by its provider's id: %+v, want unknown", a)
	}
	if a, _ := x.Session("alice-old"); a.Reason != ReasonExpired {
		t.Fatalf("a session that expired a minute ago: %+v, want expired", a)
	}
	keep := New(st, Config{Forget: -1}, clock, slog.New(slog.DiscardHandler))
	must(t, keep.Refresh(ctx))
	if a, _ := keep.Session("erin-ssh"); a.Reason != ReasonRevoked {
		t.Fatalf("with Forget < 0: %+v, want revoked", a)
	}
}
