package console

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/connectors/peertest"
	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/internal/logbuf"
	"github.com/killswitch-dev/killswitch/store"
)

// clientSecret is the console's client secret at Hydra: it must never
// show in a log, a page or the audit trail.
const clientSecret = "console-client-secret-4f1d7c2a9e"

// idp is Ory Hydra with the test's login and consent app, which puts
// the subject's e-mail and groups in the ID token.
type idp struct {
	*peertest.LoginApp
	t *testing.T
}

func newIDP(t *testing.T, groups map[string][]string) *idp {
	return &idp{t: t, LoginApp: peertest.NewLoginApp(t,
		func(sub string) map[string]any {
			return map[string]any{"email": sub + "@example.com",
				"groups": groups[sub]}
		})}
}

// start runs Hydra with its public API (the issuer) on port, 0 for any,
// and registers the console's client, sent back to redirect.
func (p *idp) start(port int, redirect string) *peertest.Hydra {
	h := p.StartHydra(p.t, port)
	h.RegisterClient(p.t, peertest.Client{ID: "killswitch-console",
		Secret: clientSecret, RedirectURI: redirect},
		"openid email profile")
	return h
}

// as makes the next login sign in subject.
func (p *idp) as(subject string) { p.SignInAs(subject) }

// oidcConsole is a console that signs in through the issuer, serving on
// its own address (the redirect URL names it), logging to a buffer.
type oidcConsole struct {
	*fixture
	redirect string
	logs     *logbuf.Buffer
}

// listenConsole is the console's listener and its redirect URL.
func listenConsole(t *testing.T) (net.Listener, string) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return l, "http://" + l.Addr().String() + OIDCCallbackPath
}

func newOIDCConsole(t *testing.T, l net.Listener, issuer string) *oidcConsole {
	c := &oidcConsole{logs: &logbuf.Buffer{},
		redirect: "http://" + l.Addr().String() + OIDCCallbackPath}
	c.fixture = newFixtureOn(t, l, func(cfg *Config) {
		cfg.Log = slog.New(slog.NewTextHandler(c.logs, nil))
		cfg.OIDC = &OIDCConfig{Name: "Hydra", Issuer: issuer,
			ClientID: "killswitch-console", ClientSecret: clientSecret,
			RedirectURL: c.redirect, Grants: []OIDCGrant{
				{Value: "ks-sa-oncall", Role: RoleResponder,
					PrincipalKinds: []store.PrincipalKind{
						store.KindServiceAccount}},
				{Value: "ks-responders", Role: RoleResponder},
				{Value: "ks-viewers", Role: RoleViewer}}}
	})
	t.Cleanup(func() { c.noSecret(t) })
	return c
}

// noSecret fails the test when the client secret is in the logs or the
// audit trail.
func (c *oidcConsole) noSecret(t *testing.T) {
	if strings.Contains(c.logs.String(), clientSecret) {
		t.Error("the client secret is in the console's log")
	}
	es, err := c.st.ListAudit(context.Background(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if strings.Contains(e.Actor+string(e.Details), clientSecret) {
			t.Errorf("the client secret is in audit entry %s", e.Event)
		}
	}
}

// oidcBrowser is a browser for sign-ins with the provider.
func (f *fixture) oidcBrowser() *browser { return f.browser() }

// toCallback starts a sign-in with the provider, going to next after,
// following redirects as a browser does up to the console's callback,
// and returns the callback the provider sends the browser back to.
func (b *browser) toCallback(next string) string {
	b.f.t.Helper()
	follow := &http.Client{Jar: b.c.Jar,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Path == OIDCCallbackPath || len(via) >= 10 {
				return http.ErrUseLastResponse
			}
			return nil
		}}
	res, err := follow.Get(b.f.srv.URL + "/oidc/login?next=" +
		url.QueryEscape(next))
	if err != nil {
		b.f.t.Fatal(err)
	}
	data, _ := io.ReadAll(res.Body)
	res.Body.Close()
	loc := res.Header.Get("Location")
	if res.StatusCode/100 != 3 || !strings.Contains(loc, OIDCCallbackPath) {
		b.f.t.Fatalf("sign-in with the provider: status %d at %s, want "+
			"a redirect to the callback; body:\n%s", res.StatusCode,
			res.Request.URL.Redacted(), excerpt(string(data)))
	}
	return loc
}

// callback takes the browser to callback u, as sent by the provider.
func (b *browser) callback(u string) (*http.Response, string) {
	b.f.t.Helper()
	parsed, err := url.Parse(u)
	if err != nil {
		b.f.t.Fatal(err)
	}
	return b.get(parsed.RequestURI())
}

var continueLink = regexp.MustCompile(`id="continue" href="([^"]+)"`)

// signInWith signs in through the provider and goes on to next, as the
// signed-in page's refresh does; it returns that page.
func (b *browser) signInWith(next string) string {
	b.f.t.Helper()
	res, body := b.callback(b.toCallback(next))
	wantStatus(b.f.t, res, body, http.StatusOK)
	m := continueLink.FindStringSubmatch(body)
	if m == nil {
		b.f.t.Fatalf("the signed-in page has no link on:\n%s", excerpt(body))
	}
	wantIn(b.f.t, body, `http-equiv="refresh"`)
	res, body = b.get(strings.ReplaceAll(m[1], "&amp;", "&"))
	wantStatus(b.f.t, res, body, http.StatusOK)
	return body
}

// The whole flow against a real provider: the role comes from the
// groups claim, the audit names the user at the issuer, and every way a
// callback can be wrong is refused and audited.
func TestOIDCSignInWithHydra(t *testing.T) {
	p := newIDP(t, map[string][]string{
		"alice": {"staff", "ks-responders"}, "bob": {"staff"},
		"sam": {"ks-sa-oncall", "ks-responders"}})
	l, redirect := listenConsole(t)
	h := p.start(0, redirect)
	c := newOIDCConsole(t, l, h.Issuer())
	if err := c.con.DiscoverOIDC(t.Context()); err != nil {
		t.Fatal(err)
	}
	alice := "alice@example.com(oidc iss=" + h.Issuer() + " sub=alice)"

	// A user of a mapped group signs in with its role.
	{
		p.as("alice")
		b := c.oidcBrowser()
		res, body := b.get("/login")
		wantStatus(t, res, body, http.StatusOK)
		wantIn(t, body, "Sign in with Hydra", `name="token"`)
		body = b.signInWith("/locks")
		wantIn(t, body, alice)
		res, body = b.post("/locks", url.Values{"target_type": {"principal"},
			"target": {"alice"}, "reason": {"INC-7 oidc"}})
		wantStatus(t, res, body, http.StatusSeeOther)
		placed := c.audit(engine.EventLockPlaced)
		if len(placed) != 1 || placed[0].Actor != "operator:"+alice {
			t.Fatalf("lock audited as %+v, want one by operator:%s",
				placed, alice)
		}
		in := c.audit(EventSignedIn)
		if len(in) != 1 || !strings.Contains(string(in[0].Details),
			`"role":"responder"`) {
			t.Fatalf("sign-in audited as %+v, want one as responder", in)
		}
	}

	// The first grant a user holds applies, with its scopes.
	{
		p.as("sam")
		b := c.oidcBrowser()
		b.signInWith("/")
		res, body := b.post("/locks", url.Values{"target_type": {"principal"},
			"target": {"alice"}, "reason": {"out of scope"}})
		wantStatus(t, res, body, http.StatusBadRequest)
		wantIn(t, body, "within your scope")
	}

	// A user of no mapped group is refused and audited.
	{
		p.as("bob")
		b := c.oidcBrowser()
		res, body := b.callback(b.toCallback("/"))
		wantStatus(t, res, body, http.StatusForbidden)
		wantIn(t, body, "bob@example.com", "none of your groups")
		res, body = b.get("/")
		wantStatus(t, res, body, http.StatusSeeOther)
		wantRefusal(t, c.fixture, `"subject":"bob"`, "no grant matches")
	}

	// A callback whose state is changed or absent is refused.
	{
		p.as("alice")
		for name, edit := range map[string]func(url.Values){
			"changed": func(q url.Values) { q.Set("state", q.Get("state")+"x") },
			"absent":  func(q url.Values) { q.Del("state") },
		} {
			b := c.oidcBrowser()
			u, _ := url.Parse(b.toCallback("/"))
			q := u.Query()
			edit(q)
			u.RawQuery = q.Encode()
			res, body := b.callback(u.String())
			if res.StatusCode != http.StatusBadRequest {
				t.Fatalf("state %s: status %d, want 400:\n%s", name,
					res.StatusCode, excerpt(body))
			}
			wantIn(t, body, "not started in this browser")
		}
		wantRefusal(t, c.fixture, "state absent")
	}

	// A callback started in another browser is refused.
	{
		p.as("alice")
		u := c.oidcBrowser().toCallback("/")
		res, body := c.oidcBrowser().callback(u)
		wantStatus(t, res, body, http.StatusBadRequest)
	}

	// Refused callbacks count against the address as refused tokens do:
	// the sixth in a row is refused for that alone.
	{
		forged := c.redirect + "?state=x&code=y"
		res, body := c.oidcBrowser().callback(forged)
		wantStatus(t, res, body, http.StatusBadRequest)
		res, body = c.oidcBrowser().callback(forged)
		wantStatus(t, res, body, http.StatusTooManyRequests)
		c.advance(time.Minute)
	}

	// A callback used twice is refused, as is its code.
	{
		p.as("alice")
		b := c.oidcBrowser()
		u := b.toCallback("/")
		res, body := b.callback(u)
		wantStatus(t, res, body, http.StatusOK)
		res, body = b.callback(u)
		wantStatus(t, res, body, http.StatusBadRequest)

		used, _ := url.Parse(u)
		fresh, _ := url.Parse(b.toCallback("/"))
		q := fresh.Query()
		q.Set("code", used.Query().Get("code"))
		fresh.RawQuery = q.Encode()
		res, body = b.callback(fresh.String())
		wantStatus(t, res, body, http.StatusUnauthorized)
		wantIn(t, body, "was not accepted")
		wantRefusal(t, c.fixture, "redeem the code", "invalid_grant")
	}
}

// wantRefusal fails the test unless a refused sign-in is audited whose
// details hold every s.
func wantRefusal(t *testing.T, f *fixture, ss ...string) {
	t.Helper()
	for _, e := range f.audit(EventSignInFailed) {
		d := string(e.Details)
		ok := true
		for _, s := range ss {
			ok = ok && strings.Contains(d, s)
		}
		if ok {
			return
		}
	}
	t.Fatalf("no refused sign-in audited with %q", ss)
}

// A provider down when the console starts does not keep it from
// serving: sign-in with it says it is unavailable, tokens still sign in,
// and the next sign-in after the provider is up works.
func TestOIDCSignInWaitsForAnIssuerDownAtStart(t *testing.T) {
	p := newIDP(t, map[string][]string{"alice": {"ks-viewers"}})
	port := peertest.FreePort(t)
	issuer := fmt.Sprintf("http://127.0.0.1:%d/", port)
	l, redirect := listenConsole(t)
	c := newOIDCConsole(t, l, issuer)
	if err := c.con.DiscoverOIDC(t.Context()); err == nil {
		t.Fatal("discovery of an issuer that is down: no error")
	}
	b := c.oidcBrowser()
	res, body := b.get("/oidc/login?next=/")
	wantStatus(t, res, body, http.StatusServiceUnavailable)
	wantIn(t, body, "Sign in with Hydra is unavailable", issuer)
	if logs := c.logs.String(); strings.Count(logs, "level=WARN msg=\"OIDC "+
		"discovery failed") != 1 {
		t.Fatalf("want one warning for the same failure, twice; log:\n%s", logs)
	}
	c.signedIn(c.viewer)

	p.start(port, redirect)
	p.as("alice")
	body = b.signInWith("/")
	wantIn(t, body, "alice@example.com(oidc iss="+issuer+" sub=alice)")
	if !strings.Contains(c.logs.String(), "OIDC provider discovered") {
		t.Error("the discovery that worked is not logged")
	}
}

// Sign-ins begun in two tabs of one browser (a sign-in that lapsed in
// both) each come back signed in, whichever returns first: the state
// cookie of the second replaced the first's, whose return was refused
// as not started in this browser, audited and counted against the
// address.
func TestOIDCSignInsInTwoTabsOfOneBrowserBothWork(t *testing.T) {
	p := newIDP(t, map[string][]string{"alice": {"ks-viewers"}})
	l, redirect := listenConsole(t)
	h := p.start(0, redirect)
	c := newOIDCConsole(t, l, h.Issuer())
	p.as("alice")
	b := c.oidcBrowser()
	first, second := b.toCallback("/locks"), b.toCallback("/audit")
	for _, u := range []string{first, second} {
		res, body := b.callback(u)
		wantStatus(t, res, body, http.StatusOK)
	}
	if n := len(c.audit(EventSignInFailed)); n != 0 {
		t.Errorf("%d refused sign-ins audited, want none", n)
	}
}

// A browser sent to sign in over and over (a page opening the sign-in
// again and again) keeps a bounded number of state cookies, the newest:
// they filled its jar for the console's host, and the browser dropped
// its oldest cookies, the console's sign-in among them.
func TestABrowserKeepsABoundedNumberOfStateCookies(t *testing.T) {
	p := newIDP(t, map[string][]string{"alice": {"ks-viewers"}})
	l, redirect := listenConsole(t)
	h := p.start(0, redirect)
	c := newOIDCConsole(t, l, h.Issuer())
	p.as("alice")
	b := c.oidcBrowser()
	var last string
	for range 3 * statesPerBrowser {
		last = b.toCallback("/")
	}
	u, _ := url.Parse(c.srv.URL + "/oidc/")
	n := 0
	for _, ck := range b.c.Jar.Cookies(u) {
		if strings.HasPrefix(ck.Name, stateCookie) {
			n++
		}
	}
	if n != statesPerBrowser {
		t.Errorf("%d state cookies kept after %d sign-ins, want %d", n,
			3*statesPerBrowser, statesPerBrowser)
	}
	res, body := b.callback(last)
	wantStatus(t, res, body, http.StatusOK)
}

// The provider answering with an error (the user refused consent) is a
// refused sign-in: a page saying what the provider said, audited with
// its description, which is cut short: whoever holds a sign-in in
// progress writes it, and a mebibyte of it was logged and audited.
func TestOIDCAProvidersRefusalIsShownAndAudited(t *testing.T) {
	p := newIDP(t, map[string][]string{"alice": {"ks-viewers"}})
	l, redirect := listenConsole(t)
	h := p.start(0, redirect)
	c := newOIDCConsole(t, l, h.Issuer())
	p.as("alice")
	b := c.oidcBrowser()
	u, _ := url.Parse(b.toCallback("/"))
	q := u.Query()
	q.Del("code")
	q.Set("error", "access_denied")
	q.Set("error_description", "The resource owner denied the request. "+
		strings.Repeat("x", 100000))
	u.RawQuery = q.Encode()
	res, body := b.callback(u.String())
	wantStatus(t, res, body, http.StatusUnauthorized)
	wantIn(t, body, "did not sign you in (access_denied)")
	wantRefusal(t, c.fixture, "provider answered access_denied: The "+
		"resource owner denied the request.")
	for _, e := range c.audit(EventSignInFailed) {
		if len(e.Details) > 1000 {
			t.Errorf("a refusal audited with %d bytes of details",
				len(e.Details))
		}
	}
}

// An issuer configured without the trailing slash the provider writes
// answers, but as another issuer: sign-in with it is unavailable, the
// page no longer says only that the provider does not answer, and the
// log says what differs.
func TestOIDCAnIssuerDifferingByItsTrailingSlashIsNamedAsSuch(t *testing.T) {
	p := newIDP(t, nil)
	l, redirect := listenConsole(t)
	h := p.start(0, redirect)
	issuer := strings.TrimSuffix(h.Issuer(), "/")
	c := newOIDCConsole(t, l, issuer)
	res, body := c.oidcBrowser().get("/oidc/login?next=/")
	wantStatus(t, res, body, http.StatusServiceUnavailable)
	wantIn(t, body, "Sign in with Hydra is unavailable",
		"could not be discovered", "answers as another issuer")
	if !strings.Contains(c.logs.String(), "did not match") {
		t.Errorf("the log does not say the issuers differ:\n%s", c.logs)
	}
}

// An ID token whose groups claim is a number is refused saying so: the
// page said the code was used twice or the token did not verify, which
// sent the user to start again, as many times as they liked.
func TestOIDCAGroupsClaimThatIsANumberIsRefusedSayingSo(t *testing.T) {
	p := &idp{t: t, LoginApp: peertest.NewLoginApp(t,
		func(sub string) map[string]any {
			return map[string]any{"email": sub + "@example.com",
				"groups": 5}
		})}
	l, redirect := listenConsole(t)
	h := p.start(0, redirect)
	c := newOIDCConsole(t, l, h.Issuer())
	p.as("alice")
	b := c.oidcBrowser()
	res, body := b.callback(b.toCallback("/"))
	wantStatus(t, res, body, http.StatusUnauthorized)
	wantIn(t, body, "groups claim is not a name or a list of names")
	wantRefusal(t, c.fixture, "claim groups: a float64")
}
