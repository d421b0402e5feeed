package console

import (
	"context"
	"net/http"
	"net/url"
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
