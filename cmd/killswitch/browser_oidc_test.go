package main

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/killswitch-dev/killswitch/connectors/peertest"
	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/store"
)

// TestConsoleSignsInThroughOIDCInABrowser signs a responder in to the
// real `killswitch run` through Ory Hydra, in a real Chromium: a page
// asked for without a sign-in leads to the sign-in page, its "Sign in
// with" button to Hydra and back, to the page asked for with the role
// of the responder's group; a lock placed there is audited with the
// responder at the issuer. The console is reached at localhost and Hydra
// at 127.0.0.1, two sites, as a console and its provider are, and the
// responder presses the provider's button: the console's SameSite=Strict
// cookie, set at the end of the navigation that button started, is not
// sent on a redirect that continues it.
func TestConsoleSignsInThroughOIDCInABrowser(t *testing.T) {
	chrome := requireTool(t, "chromium", "apt-get install chromium")
	app := peertest.NewLoginApp(t, func(sub string) map[string]any {
		return map[string]any{"email": sub + "@example.com",
			"groups": []string{"staff", "ks-responders"}}
	})
	h := app.StartHydra(t, 0)
	port := strconv.Itoa(freeTestPort(t))
	redirect := "http://localhost:" + port + "/oidc/callback"
	h.RegisterClient(t, peertest.Client{ID: "killswitch-console",
		Secret: testOIDCSecret, RedirectURI: redirect},
		"openid email profile")
	app.SignInAs("dana")
	app.Interactive = true
	r := startConsoleRunWith(t, "127.0.0.1:"+port,
		oidcSection(h.Issuer(), redirect),
		[]string{"KS_TEST_OIDC_SECRET=" + testOIDCSecret})
	console := "http://localhost:" + port
	dana := "dana@example.com(oidc iss=" + h.Issuer() + " sub=dana)"
	b := newBrowserSession(t, chrome)

	b.do("ask for a page", chromedp.Navigate(console+"/locks"),
		chromedp.WaitVisible(chromedp.ID("oidc-sign-in")))
	b.wantText("#oidc-sign-in", "Sign in with Test IdP")
	b.screenshot("oidc-1-sign-in")
	b.do("go to the provider", chromedp.Click(chromedp.ID("oidc-sign-in")),
		chromedp.WaitVisible(chromedp.ID("login")))
	b.do("sign in there", chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("caller")))
	b.wantText("#caller", dana)
	if loc := run(b, "read the address", chromedp.Location()); loc !=
		console+"/locks" {
		t.Errorf("signed in at %s, want the page asked for", loc)
	}
	b.screenshot("oidc-2-signed-in")
	b.do("place a lock", chromedp.SendKeys(chromedp.ID("lock-target"), "frank"),
		chromedp.SendKeys(chromedp.ID("lock-reason"), "INC-7 oidc browser"),
		chromedp.Submit(chromedp.ID("lock-reason")),
		chromedp.WaitVisible(chromedp.CSS(".flash")))
	b.screenshot("oidc-3-locked")

	es, err := openDB(t, r.db).ListAudit(context.Background(),
		store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var placed []string
	for _, e := range es {
		if e.Event == engine.EventLockPlaced {
			placed = append(placed, e.Actor)
		}
	}
	if len(placed) != 1 || placed[0] != "operator:"+dana {
		t.Errorf("locks placed by %q, want one by operator:%s", placed, dana)
	}
	if strings.Contains(r.logs.String(), testOIDCSecret) {
		t.Error("run logged the client secret")
	}
}
