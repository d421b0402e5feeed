package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/api"
)

// A sign-in stands for its token: revoking the token or its expiry ends
// every sign-in made with it, on the next page and the next change.
func TestASignInEndsWhenItsTokenIsRevokedOrExpires(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.SignInFor = 48 * time.Hour })
	ctx := context.Background()
	tok, secret, err := api.CreateToken(ctx, f.st, api.TokenSpec{
		Name: "soon-gone", Role: api.Responder, CreatedBy: "test",
		CreatedAt: f.now})
	if err != nil {
		t.Fatal(err)
	}
	b := f.signedIn(secret)
	res, body := b.get("/")
	wantStatus(t, res, body, http.StatusOK)
	if _, err := api.RevokeToken(ctx, f.st, tok.ID, "test", f.now); err != nil {
		t.Fatal(err)
	}
	res, body = b.get("/")
	wantStatus(t, res, body, http.StatusSeeOther)
	res, body = b.post("/locks", url.Values{"target_type": {"principal"},
		"target": {"alice"}, "reason": {"revoked token"}})
	wantStatus(t, res, body, http.StatusUnauthorized)

	b = f.signedIn(f.responder) // expires 24h after f.now
	f.advance(25 * time.Hour)
	res, body = b.get("/sessions")
	wantStatus(t, res, body, http.StatusSeeOther)
	res, body = b.post("/locks", url.Values{"target_type": {"principal"},
		"target": {"alice"}, "reason": {"expired token"}})
	wantStatus(t, res, body, http.StatusUnauthorized)
}

// After a sign-in the console goes only to one of its own pages, however
// the next parameter is written: browsers drop tabs and newlines inside
// a URL and read a backslash as a slash, so "/\t/evil.example" is
// "//evil.example", another host.
func TestASignInNeverRedirectsToAnotherHost(t *testing.T) {
	f := newFixture(t, nil)
	base, err := url.Parse(f.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	for _, next := range []string{"//evil.example", "/\\evil.example",
		"/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example",
		"\t//evil.example", "/\\\t\\evil.example", "https://evil.example",
		"/%09/evil.example", " //evil.example", "/\x00/evil.example",
		"http:evil.example", "/sessions\t?x=//evil.example"} {
		loc := signInTo(t, f, next)
		if got := asBrowserReads(t, base, loc); got.Host != base.Host {
			t.Errorf("next %q: redirected to %q, which a browser "+
				"takes to %s", next, loc, got)
		}
	}
}

// asBrowserReads resolves a Location against base as a browser does:
// tabs and newlines dropped, backslashes read as slashes.
func asBrowserReads(t *testing.T, base *url.URL, loc string) *url.URL {
	t.Helper()
	loc = strings.NewReplacer("\t", "", "\n", "", "\r", "", "\\", "/").
		Replace(strings.TrimSpace(loc))
	u, err := base.Parse(loc)
	if err != nil {
		t.Fatalf("Location %q: %v", loc, err)
	}
	return u
}

// signInTo signs in with next and returns the Location it answers, as
// sent (an HTTP client would refuse to parse a bad one).
func signInTo(t *testing.T, f *fixture, next string) string {
	t.Helper()
	form := url.Values{"token": {f.viewer}, "next": {next}}
	req, err := http.NewRequest("POST", f.srv.URL+"/login",
		strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("next %q: status %d, want 303", next, res.StatusCode)
	}
	return res.Header.Get("Location")
}

// A page asked for without a sign-in is the one shown after it, with
// every parameter of its query.
func TestASignInReturnsToThePageAskedFor(t *testing.T) {
	f := newFixture(t, nil)
	page := "/sessions?principal=alice&provider=okta&status=active"
	res, body := f.browser().get(page)
	wantStatus(t, res, body, http.StatusSeeOther)
	login, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	next := login.Query().Get("next")
	if login.Path != "/login" || next != page {
		t.Fatalf("sent to %s, whose next is %q, want %q",
			res.Header.Get("Location"), next, page)
	}
	if loc := signInTo(t, f, next); loc != page {
		t.Errorf("after the sign-in: %q, want %q", loc, page)
	}
}
