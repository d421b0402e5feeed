package console

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/api"
	"github.com/killswitch-dev/killswitch/store"
)

func TestPagesNeedASignIn(t *testing.T) {
	f := newFixture(t, nil)
	b := f.browser()
	for _, p := range []string{"/", "/sessions?principal=alice",
		"/principals/alice", "/locks", "/approvals", "/audit", "/policies"} {
		res, body := b.get(p)
		wantStatus(t, res, body, http.StatusSeeOther)
		if got := res.Header.Get("Location"); got != "/login?next="+url.QueryEscape(p) {
			t.Errorf("GET %s redirects to %q, want the sign-in page", p, got)
		}
	}
	res, body := b.post("/sessions/terminate", url.Values{
		"principal": {"alice"}, "reason": {"x"}, "expected": {"3"}})
	wantStatus(t, res, body, http.StatusUnauthorized)
	if got := f.status("alice-okta-laptop"); got != store.StatusActive {
		t.Fatalf("a POST without a sign-in made a session %s", got)
	}
}

func TestSignInKeepsOnlyARandomIDInAStrictCookie(t *testing.T) {
	f := newFixture(t, nil)
	b := f.browser()
	res, body := b.post("/login", url.Values{"token": {f.viewer},
		"next": {"/sessions"}})
	wantStatus(t, res, body, http.StatusSeeOther)
	if got := res.Header.Get("Location"); got != "/sessions" {
		t.Errorf("redirect after sign-in = %q, want the page asked for", got)
	}
	cks := res.Cookies()
	if len(cks) != 1 {
		t.Fatalf("cookies = %v, want one", cks)
	}
	ck := cks[0]
	switch {
	case !ck.HttpOnly:
		t.Error("the cookie is readable by scripts")
	case ck.SameSite != http.SameSiteStrictMode:
		t.Errorf("SameSite = %v, want Strict", ck.SameSite)
	case ck.Secure:
		t.Error("the cookie is Secure on plain HTTP: the browser would drop it")
	case strings.Contains(ck.Value, f.viewer) || len(ck.Value) < 40:
		t.Errorf("the cookie %q is not a random id", ck.Value)
	case ck.MaxAge <= 0:
		t.Errorf("the cookie has no expiry (Max-Age %d)", ck.MaxAge)
	}
	res, body = b.get("/")
	wantStatus(t, res, body, http.StatusOK)
	wantIn(t, body, `Signed in as <strong id="caller">vera(tok_`)
	if got := f.audit(EventSignedIn); len(got) != 1 ||
		!strings.HasPrefix(got[0].Actor, "operator:vera(tok_") {
		t.Fatalf("sign-in audit = %+v, want one by operator:vera", got)
	}
}

func TestTheCookieIsSecureOverTLS(t *testing.T) {
	f := newFixture(t, nil)
	srv := httptest.NewTLSServer(f.con.Handler())
	defer srv.Close()
	c := srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}
	res, err := c.PostForm(srv.URL+"/login",
		url.Values{"token": {f.viewer}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if cks := res.Cookies(); len(cks) != 1 || !cks[0].Secure {
		t.Fatalf("cookies over TLS = %v, want one Secure", cks)
	}
}

func TestARefusedSignInIsAuditedWithoutTheToken(t *testing.T) {
	f := newFixture(t, nil)
	b := f.browser()
	wrong := f.viewer + "x"
	res, body := b.post("/login", url.Values{"token": {wrong}})
	wantStatus(t, res, body, http.StatusUnauthorized)
	wantIn(t, body, "Token: not accepted")
	if strings.Contains(body, wrong) {
		t.Fatal("the refused token is echoed in the page")
	}
	got := f.audit(EventSignInFailed)
	if len(got) != 1 || strings.Contains(string(got[0].Details), wrong) {
		t.Fatalf("refused sign-in audit = %+v, want one without the token", got)
	}
	if len(res.Cookies()) != 0 {
		t.Fatal("a refused sign-in set a cookie")
	}
}

func TestFailedSignInsAreRateLimitedPerAddress(t *testing.T) {
	f := newFixture(t, nil)
	b := f.browser()
	for range 6 {
		res, body := b.post("/login", url.Values{"token": {f.viewer}})
		wantStatus(t, res, body, http.StatusSeeOther)
	}
	for range 5 {
		res, body := b.post("/login", url.Values{"token": {"ks_wrong"}})
		wantIn(t, body, "not accepted")
		wantStatus(t, res, body, http.StatusUnauthorized)
	}
	res, body := b.post("/login", url.Values{"token": {"ks_wrong"}})
	wantStatus(t, res, body, http.StatusTooManyRequests)
	// Whoever shares the address (a NAT, a proxy) still signs in with
	// a valid token: eleven bogus tries must not lock responders out.
	res, body = b.post("/login", url.Values{"token": {f.viewer}})
	wantStatus(t, res, body, http.StatusSeeOther)
	f.advance(10 * time.Second)
	res, body = b.post("/login", url.Values{"token": {"ks_wrong"}})
	wantStatus(t, res, body, http.StatusUnauthorized)
}

func TestSignOutAndExpiryEndTheSignIn(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.SignInFor = time.Hour })
	b := f.signedIn(f.viewer)
	res, body := b.post("/logout", nil)
	wantStatus(t, res, body, http.StatusSeeOther)
	res, body = b.get("/")
	wantStatus(t, res, body, http.StatusSeeOther)
	if len(f.audit(EventSignedOut)) != 1 {
		t.Error("the sign-out is not audited")
	}

	b = f.signedIn(f.viewer)
	f.advance(time.Hour)
	res, body = b.get("/")
	wantStatus(t, res, body, http.StatusSeeOther)
}

func TestTheOverviewCountsLiveSessionsByKindAndProvider(t *testing.T) {
	f := newFixture(t, nil)
	b := f.signedIn(f.viewer)
	res, body := b.get("/")
	wantStatus(t, res, body, http.StatusOK)
	counts, err := f.st.CountSessions(context.Background(),
		store.SessionFilter{Status: store.StatusActive})
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, c := range counts {
		total += c.Count
	}
	wantIn(t, body, `<span class="big" id="live-sessions">`+strconv.Itoa(total)+`</span>`,
		"<td>service_account</td><td>github</td><td class=\"num\">3</td>",
		"Pause auto-refresh", "Nothing is waiting for approval.")
}

func TestSearchFiltersAndNamesTheFieldItCannotRead(t *testing.T) {
	f := newFixture(t, nil)
	b := f.signedIn(f.viewer)
	res, body := b.get("/sessions?kind=human&provider=okta&country=us")
	wantStatus(t, res, body, http.StatusOK)
	wantIn(t, body, "alice-okta-laptop", "alice-okta-phone")
	for _, id := range []string{"alice-aws-console", "frank-okta-web"} {
		if strings.Contains(body, id) {
			t.Errorf("the search lists %s, of another provider or country", id)
		}
	}
	res, body = b.get("/sessions?ip=198.51.100.20&created_after=" +
		f.now.Add(-150*time.Minute).Format("2006-01-02T15:04"))
	wantStatus(t, res, body, http.StatusOK)
	wantIn(t, body, "alice-aws-console", "<strong>1</strong> session match")

	res, body = b.get("/sessions?ip=198.51.100.16/28&status=active")
	wantStatus(t, res, body, http.StatusOK)
	wantIn(t, body, "alice-okta-phone", "<strong>3</strong> sessions match")
	if strings.Contains(body, "frank-okta-web") {
		t.Error("a network search lists a session from outside it")
	}

	res, body = b.get("/sessions?created_after=yesterday&kind=robot&ip=10.0.0.0/33")
	wantStatus(t, res, body, http.StatusBadRequest)
	wantIn(t, body, "Created after: &#34;yesterday&#34; is not a time",
		"Principal kind: &#34;robot&#34; is not one of",
		"Origin IP or network: &#34;10.0.0.0/33&#34; is not an IP address")

	for _, c := range []string{"ZZZ", "us1"} {
		res, body = b.get("/sessions?country=" + c)
		wantStatus(t, res, body, http.StatusBadRequest)
		wantIn(t, body, "Country: &#34;"+c+
			"&#34; is not a two-letter country code")
	}
}

func TestAViewerSeesNoTerminateAndAForgedPostIsRefused(t *testing.T) {
	f := newFixture(t, nil)
	b := f.signedIn(f.viewer)
	_, body := b.get("/sessions?principal=alice")
	if strings.Contains(body, "terminate-link") {
		t.Error("a viewer is offered to terminate")
	}
	_, body = b.get("/principals/alice")
	if strings.Contains(body, "terminate-principal") ||
		strings.Contains(body, `action="/locks"`) {
		t.Error("a viewer is offered to terminate or lock on the principal page")
	}
	res, body := b.get("/sessions/terminate?principal=alice")
	wantStatus(t, res, body, http.StatusForbidden)
	res, body = b.post("/sessions/terminate", url.Values{
		"principal": {"alice"}, "reason": {"forged"}, "expected": {"3"}})
	wantStatus(t, res, body, http.StatusForbidden)
	wantIn(t, body, "needs the responder role")
	res, body = b.post("/locks", url.Values{"target_type": {"principal"},
		"target": {"alice"}, "reason": {"forged"}})
	wantStatus(t, res, body, http.StatusForbidden)
	if got := f.status("alice-okta-laptop"); got != store.StatusActive {
		t.Fatalf("a viewer's forged POST made a session %s", got)
	}
	locks, _ := f.st.ListLocks(context.Background(), f.now)
	if len(locks) != 0 {
		t.Fatalf("a viewer's forged POST placed %d locks", len(locks))
	}
}

func TestACrossOriginPostIsRefused(t *testing.T) {
	f := newFixture(t, nil)
	b := f.signedIn(f.responder)
	res, body := b.do(http.MethodPost, "/sessions/terminate", url.Values{
		"principal": {"alice"}, "reason": {"csrf"}, "expected": {"3"}},
		http.Header{"Origin": {"https://evil.example"},
			"Sec-Fetch-Site": {"cross-site"}})
	wantStatus(t, res, body, http.StatusForbidden)
	if got := f.status("alice-okta-laptop"); got != store.StatusActive {
		t.Fatalf("a cross-origin POST made a session %s", got)
	}
}

func TestTerminateShowsTheCountAndNeedsItTypedAboveTheThreshold(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.ConfirmAbove = 2 })
	b := f.signedIn(f.responder)
	_, body := b.get("/sessions?principal=alice")
	wantIn(t, body, `href="/sessions/terminate?principal=alice"`)
	res, body := b.get("/sessions/terminate?principal=alice")
	wantStatus(t, res, body, http.StatusOK)
	wantIn(t, body, "<strong>3</strong> live sessions will be terminated",
		"Type 3 to confirm")
	form := b.confirm("principal=alice", url.Values{"principal": {"alice"},
		"status": {"active"}, "expected": {"3"}, "reason": {"INC-4711"},
		"confirm": {"4"}})
	res, body = b.post("/sessions/terminate", form)
	wantStatus(t, res, body, http.StatusBadRequest)
	wantIn(t, body, "Confirmation: type 3")
	if got := f.status("alice-okta-laptop"); got != store.StatusActive {
		t.Fatalf("a wrong count made a session %s", got)
	}
	form.Set("expected", "2")
	form.Set("confirm", "3")
	res, body = b.post("/sessions/terminate", form)
	wantStatus(t, res, body, http.StatusBadRequest)
	wantIn(t, body, "The match changed since you looked")

	form.Set("expected", "3")
	res, body = b.post("/sessions/terminate", form)
	wantStatus(t, res, body, http.StatusSeeOther)
	for _, id := range []string{"alice-okta-laptop", "alice-okta-phone",
		"alice-aws-console"} {
		if got := f.status(id); got != store.StatusRevoked {
			t.Errorf("session %s is %s after the termination", id, got)
		}
	}
	if got := f.status("frank-okta-web"); got != store.StatusActive {
		t.Errorf("another principal's session is %s", got)
	}
	reqs := f.audit("operator.revoke")
	if len(reqs) != 1 || !strings.HasPrefix(reqs[0].Actor, "operator:rita(") {
		t.Fatalf("revocation audit = %+v, want one by operator:rita", reqs)
	}
	res, body = b.get(res.Header.Get("Location"))
	wantStatus(t, res, body, http.StatusOK)
	wantIn(t, body, "terminated 3 sessions", "revoked")
	_, body = b.get("/principals/alice")
	wantIn(t, body, "revoke_sessions <span class=\"mono\">sessions:3 sessions</span>",
		"INC-4711")
}

func TestASmallTerminationNeedsNoTypedCount(t *testing.T) {
	f := newFixture(t, nil)
	b := f.signedIn(f.responder)
	_, body := b.get("/sessions/terminate?principal=frank")
	if strings.Contains(body, "to confirm") {
		t.Error("two sessions ask for a typed count under the default threshold")
	}
	res, body := b.post("/sessions/terminate", b.confirm("principal=frank",
		url.Values{"principal": {"frank"}, "expected": {"2"}, "reason": {"INC-1"}}))
	wantStatus(t, res, body, http.StatusSeeOther)
	if got := f.status("frank-github-cli"); got != store.StatusRevoked {
		t.Fatalf("frank's session is %s", got)
	}
	res, body = b.post("/sessions/terminate", b.confirm("principal=alice",
		url.Values{"principal": {"alice"}, "expected": {"3"}, "reason": {" "}}))
	wantStatus(t, res, body, http.StatusBadRequest)
	wantIn(t, body, "Reason: required")
}

func TestAScopedResponderCannotTerminateOutsideItsScope(t *testing.T) {
	f := newFixture(t, nil)
	b := f.signedIn(f.saOnly)
	res, body := b.get("/sessions?principal=alice")
	wantStatus(t, res, body, http.StatusOK)
	wantIn(t, body, "<strong>0</strong> sessions match in your scope")
	if strings.Contains(body, "alice-okta-laptop") {
		t.Error("a session outside the caller's scope is listed")
	}
	res, body = b.post("/sessions/terminate", url.Values{
		"provider": {"github"}, "principal": {"frank"}, "expected": {"1"},
		"reason": {"INC-2"}})
	wantStatus(t, res, body, http.StatusNotFound)
	if got := f.status("frank-github-cli"); got != store.StatusActive {
		t.Fatalf("a human's session is %s after a scoped termination", got)
	}
	res, body = b.post("/sessions/terminate", b.confirm("principal=deploy-bot",
		url.Values{"principal": {"deploy-bot"}, "expected": {"3"}, "reason": {"INC-2"}}))
	wantStatus(t, res, body, http.StatusSeeOther)
	res, body = b.post("/locks", url.Values{"target_type": {"principal"},
		"target": {"alice"}, "reason": {"INC-2"}})
	wantStatus(t, res, body, http.StatusBadRequest)
	wantIn(t, body, "is not in the registry within your scope")
	res, body = b.post("/locks", url.Values{"target_type": {"origin"},
		"target": {"203.0.113.0/24"}, "reason": {"INC-2"}})
	wantStatus(t, res, body, http.StatusForbidden)
}

// hold records a signal with one action awaiting approval.
func (f *fixture) hold(id, target string) {
	f.t.Helper()
	rec := store.SignalRecord{ID: "sig-" + id, DedupKey: "d-" + id,
		Format: "ocsf", Category: "credential_exposure", Severity: "high",
		Time: f.now, ReceivedAt: f.now, Signal: json.RawMessage(
			`{"summary":"key leaked in a public gist"}`)}
	a := store.Action{ID: id, IdempotencyKey: "k-" + id, SignalID: rec.ID,
		Kind: "revoke_sessions", TargetType: "principal", TargetID: target,
		Reason: "leaked key", Policy: "killswitch.response.leak",
		State: store.ActionAwaitingApproval, LastError: "budget spent",
		CreatedAt: f.now, UpdatedAt: f.now}
	if _, err := f.st.RecordSignal(context.Background(), rec,
		[]store.Action{a}, nil); err != nil {
		f.t.Fatal(err)
	}
}

func TestApproveAndRejectAreAuditedWithTheCallerAndReason(t *testing.T) {
	f := newFixture(t, nil)
	f.hold("act-1", "deploy-bot")
	f.hold("act-2", "frank")
	b := f.signedIn(f.responder)
	res, body := b.get("/approvals")
	wantStatus(t, res, body, http.StatusOK)
	wantIn(t, body, "act-1", "key leaked in a public gist", "budget spent")
	res, body = b.post("/approvals/act-1", url.Values{"verdict": {"approve"},
		"reason": {"confirmed with the owner"}})
	wantStatus(t, res, body, http.StatusSeeOther)
	res, body = b.post("/approvals/act-2", url.Values{"verdict": {"reject"},
		"reason": {"pentest"}})
	wantStatus(t, res, body, http.StatusSeeOther)
	for id, want := range map[string]string{"act-1": store.ActionPending,
		"act-2": store.ActionSkipped} {
		a, err := f.st.GetAction(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if a.State != want || a.Verdict == nil ||
			!strings.HasPrefix(a.Verdict.By, "operator:rita(") {
			t.Errorf("%s: state %s, verdict %+v; want %s by operator:rita",
				id, a.State, a.Verdict, want)
		}
	}
	res, body = b.post("/approvals/act-1", url.Values{"verdict": {"reject"},
		"reason": {"again"}})
	wantStatus(t, res, body, http.StatusConflict)
	_, body = b.get("/approvals")
	wantIn(t, body, "Nothing is waiting for approval.")
}

func TestLocksArePlacedAndLiftedWithTheCaller(t *testing.T) {
	f := newFixture(t, nil)
	b := f.signedIn(f.responder)
	res, body := b.post("/locks", url.Values{"target_type": {"principal"},
		"target": {"alice"}, "reason": {"INC-4711"}, "expires": {"soon"}})
	wantStatus(t, res, body, http.StatusBadRequest)
	wantIn(t, body, "Expires: &#34;soon&#34; is neither a duration")
	res, body = b.post("/locks", url.Values{"target_type": {"principal"},
		"target": {"nobody"}, "reason": {"INC-4711"}})
	wantStatus(t, res, body, http.StatusBadRequest)
	wantIn(t, body, "is not in the registry")

	res, body = b.post("/locks", url.Values{"target_type": {"principal"},
		"target": {"alice"}, "reason": {"INC-4711"}, "expires": {"24h"}})
	wantStatus(t, res, body, http.StatusSeeOther)
	locks, err := f.st.ListLocks(context.Background(), f.now)
	if err != nil {
		t.Fatal(err)
	}
	if len(locks) != 1 || !strings.HasPrefix(locks[0].CreatedBy, "operator:rita(") {
		t.Fatalf("locks = %+v, want one by operator:rita", locks)
	}
	_, body = b.get("/locks")
	wantIn(t, body, "locked principal alice", locks[0].ID, "in force")
	res, body = b.post("/locks/"+locks[0].ID+"/lift",
		url.Values{"reason": {"owner re-verified"}})
	wantStatus(t, res, body, http.StatusSeeOther)
	if locks, _ = f.st.ListLocks(context.Background(), f.now); len(locks) != 0 {
		t.Fatalf("locks in force after the lift = %+v", locks)
	}
	if got := f.audit("lock.lifted"); len(got) != 1 ||
		!strings.HasPrefix(got[0].Actor, "operator:rita(") {
		t.Fatalf("lift audit = %+v", got)
	}
}

// A lock to expire at Go's zero time is refused: it was read as no
// expiry, and the lock was placed until lifted.
func TestALockExpiringAtTheZeroTimeIsRefused(t *testing.T) {
	f := newFixture(t, nil)
	b := f.signedIn(f.responder)
	for _, zero := range []string{"0001-01-01T00:00:00Z",
		"0001-01-01T02:00:00+02:00"} {
		res, body := b.post("/locks", url.Values{"target_type": {"principal"},
			"target": {"alice"}, "reason": {"INC-4711"}, "expires": {zero}})
		wantStatus(t, res, body, http.StatusBadRequest)
		wantIn(t, body, "is not after now")
	}
	locks, err := f.st.ListLocks(context.Background(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(locks) != 0 {
		t.Fatalf("locks = %+v, want none", locks)
	}
}

func TestTheAuditPageVerifiesTheChain(t *testing.T) {
	f := newFixture(t, nil)
	b := f.signedIn(f.viewer)
	res, body := b.post("/audit/verify", nil)
	wantStatus(t, res, body, http.StatusOK)
	wantIn(t, body, "Chain intact", "console.signed_in", "token.created")
	f.tamper()
	res, body = b.post("/audit/verify", nil)
	wantStatus(t, res, body, http.StatusOK)
	wantIn(t, body, "Chain broken", "audit entry 1")
}

func TestThePrincipalPageShowsAliasesSessionsCredentialsAndTimeline(t *testing.T) {
	f := newFixture(t, nil)
	f.hold("act-9", "deploy-bot")
	b := f.signedIn(f.responder)
	res, body := b.get("/principals/deploy-bot")
	wantStatus(t, res, body, http.StatusOK)
	wantIn(t, body, "payments deploy pipeline", "deploy-bot-ci-1",
		"deploy-bot-pat", `<td class="num">200</td>`, "act-9",
		"key leaked in a public gist", "Terminate all 3 live sessions")
	if strings.Contains(body, "ghp_") {
		t.Error("a secret-looking value is on the page")
	}
	res, body = b.get("/principals/nobody")
	wantStatus(t, res, body, http.StatusNotFound)
}

func TestEveryPageRendersForAViewer(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		c.Policies = func() PolicyState {
			return PolicyState{Revision: "rev-1", Files: []string{"a.rego"}}
		}
	})
	b := f.signedIn(f.viewer)
	for _, p := range []string{"/", "/sessions", "/principals/alice",
		"/locks", "/locks?all=1", "/approvals", "/audit", "/audit?after=0",
		"/policies"} {
		res, body := b.get(p)
		wantStatus(t, res, body, http.StatusOK)
		wantIn(t, body, `<a class="skip" href="#main">`, `<main id="main"`)
		if res.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("%s has no Content-Security-Policy", p)
		}
	}
	_, body := b.get("/policies")
	wantIn(t, body, "rev-1", "a.rego")
	res, body := b.get("/nowhere")
	wantStatus(t, res, body, http.StatusNotFound)
}

// tamper rewrites the details of the first audit entry behind the
// store's back, as an attacker with the database file could.
func (f *fixture) tamper() {
	f.t.Helper()
	db, err := sql.Open("sqlite", f.path)
	if err != nil {
		f.t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	for _, q := range []string{`DROP TRIGGER audit_no_update`,
		`UPDATE audit SET details = '{"remote":"nowhere"}' WHERE seq = 1`} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			f.t.Fatal(err)
		}
	}
}

func TestAnExpiredOrRevokedTokenCannotSignIn(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	_, brief, err := api.CreateToken(ctx, f.st, api.TokenSpec{Name: "brief",
		Role: api.Responder, CreatedBy: "test", CreatedAt: f.now,
		ExpiresAt: f.now.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	gone, revoked, err := api.CreateToken(ctx, f.st, api.TokenSpec{
		Name: "gone", Role: api.Responder, CreatedBy: "test",
		CreatedAt: f.now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.RevokeToken(ctx, f.st, gone.ID, "test", f.now); err != nil {
		t.Fatal(err)
	}
	res, body := f.browser().post("/login", url.Values{"token": {revoked}})
	wantStatus(t, res, body, http.StatusUnauthorized)
	res, body = f.browser().post("/login", url.Values{"token": {brief}})
	wantStatus(t, res, body, http.StatusSeeOther)
	f.advance(2 * time.Minute)
	res, body = f.browser().post("/login", url.Values{"token": {brief}})
	wantStatus(t, res, body, http.StatusUnauthorized)
}

func TestAScopedTokenSeesOnlyWhatItsScopeReaches(t *testing.T) {
	f := newFixture(t, nil)
	f.hold("act-sa", "deploy-bot")
	f.hold("act-human", "frank")
	rita := f.signedIn(f.responder)
	res, body := rita.post("/locks", url.Values{"target_type": {"principal"},
		"target": {"alice"}, "reason": {"INC-7"}})
	wantStatus(t, res, body, http.StatusSeeOther)

	sam := f.signedIn(f.saOnly)
	_, body = sam.get("/")
	wantIn(t, body, "act-sa", "not shown to a scoped token")
	if strings.Contains(body, "act-human") {
		t.Error("the overview shows a held action on a human to a token scoped to service accounts")
	}
	_, body = sam.get("/approvals")
	wantIn(t, body, "act-sa")
	if strings.Contains(body, "act-human") {
		t.Error("the approvals list a held action outside the scope")
	}
	res, body = sam.post("/approvals/act-human", url.Values{
		"verdict": {"approve"}, "reason": {"mine now"}})
	wantStatus(t, res, body, http.StatusNotFound)
	res, body = sam.get("/principals/alice")
	wantStatus(t, res, body, http.StatusNotFound)
	_, body = sam.get("/locks")
	wantIn(t, body, "No locks in force")
	_, body = sam.get("/audit")
	wantIn(t, body, "No audit entries in your scope")
	if strings.Contains(body, "principal:alice") {
		t.Error("the audit page shows an entry about alice to a scoped token")
	}

	pete := f.signedIn(f.token("pete", api.Responder, nil, "github"))
	res, body = pete.post("/locks", url.Values{"target_type": {"principal"},
		"target": {"deploy-bot"}, "reason": {"INC-8"}})
	wantStatus(t, res, body, http.StatusForbidden)
	wantIn(t, body, "outside your scope")
}

// A responder confirming a termination must not read "at their
// providers" for sessions no connector can cut: those end in the
// registry only, and the provider still honours them.
func TestTerminatePageNamesProvidersWithoutAConnector(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		c.Connected = func(p string) bool { return p == "okta" }
	})
	_, body := f.signedIn(f.responder).get("/sessions/terminate?principal=alice")
	wantIn(t, body, `id="registry-only"`, "No connector for aws:",
		"terminated in the registry only")
	if strings.Contains(body, "their providers and in the registry") {
		t.Errorf("the page says every session is cut at its provider:\n%s", body)
	}

	all := newFixture(t, func(c *Config) {
		c.Connected = func(string) bool { return true }
	})
	_, body = all.signedIn(all.responder).get("/sessions/terminate?principal=alice")
	wantIn(t, body, "their providers and in the registry")
	if strings.Contains(body, "registry-only") {
		t.Errorf("the page warns with every provider connected:\n%s", body)
	}
}

// The confirmation holds for the sessions shown, not for their number:
// one ended and another opened since the page was shown leave the count
// the same, and the new one was never seen by the responder.
func TestATerminationCutsOnlyTheSessionsItsConfirmationShowed(t *testing.T) {
	f := newFixture(t, nil)
	b := f.signedIn(f.responder)
	form := b.confirm("principal=alice", url.Values{"principal": {"alice"},
		"expected": {"3"}, "reason": {"INC-4711"}})
	ctx := context.Background()
	phone, err := f.st.GetSession(ctx, "alice-okta-phone")
	if err != nil {
		t.Fatal(err)
	}
	fresh := phone
	fresh.ID, fresh.ExternalID = "alice-okta-tablet", "102aliceOKTAtablet01"
	phone.Status = store.StatusRevoked
	phone.Revocation = &store.Revocation{At: f.clock(), By: "okta", Reason: "signed out"}
	for _, s := range []store.Session{phone, fresh} {
		if err := f.st.PutSession(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	res, body := b.post("/sessions/terminate", form)
	wantStatus(t, res, body, http.StatusBadRequest)
	wantIn(t, body, "The match changed since you looked")
	if got := f.status("alice-okta-tablet"); got != store.StatusActive {
		t.Fatalf("a session opened after the confirmation was shown is %s", got)
	}
}
