package console

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/killswitch-dev/killswitch/api"
)

// oidcStart sends the browser to the provider to sign in, and back to
// the page next afterwards.
func (c *Console) oidcStart(w http.ResponseWriter, r *http.Request) {
	o, next := c.oidc, localPath(r.URL.Query().Get("next"))
	p, err := o.discover(r.Context())
	if err != nil {
		c.render(w, r, nil, http.StatusServiceUnavailable, "login",
			"Sign in", c.loginView(next, "Sign in with "+o.cfg.Name+
				" is unavailable: the identity provider at "+o.cfg.Issuer+
				" could not be discovered (it does not answer, or "+
				"answers as another issuer: run's log says which). Try "+
				"again later, or sign in with an API token."))
		return
	}
	state, f := o.start(api.ClientAddr(r), next)
	forgetOldStates(w, r)
	// Lax, not Strict: the provider's redirect back is a navigation
	// from another site, which must carry it.
	http.SetCookie(w, &http.Cookie{Name: stateCookieName(state), Value: state,
		Path: "/oidc/", MaxAge: int(flowFor / time.Second), HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, o.oauth2Config(p).AuthCodeURL(state,
		oidc.Nonce(f.nonce), oauth2.S256ChallengeOption(f.verifier)),
		http.StatusFound)
}

// statesPerBrowser bounds the state cookies of sign-ins in progress a
// browser keeps: past it, starting another forgets the oldest.
const statesPerBrowser = 5

// forgetOldStates expires the oldest state cookies r carries, browsers
// sending them oldest first, so that with the one about to be set the
// browser holds statesPerBrowser at most: a page sending a browser to
// sign in over and over would otherwise fill its jar for the console's
// host, whose browser then drops the oldest cookie, the sign-in's own
// among them.
func forgetOldStates(w http.ResponseWriter, r *http.Request) {
	var names []string
	for _, ck := range r.Cookies() {
		if strings.HasPrefix(ck.Name, stateCookie+"_") {
			names = append(names, ck.Name)
		}
	}
	for _, name := range names[:max(0, len(names)-statesPerBrowser+1)] {
		http.SetCookie(w, &http.Cookie{Name: name, Value: "",
			Path: "/oidc/", MaxAge: -1, HttpOnly: true,
			Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	}
}

// oidcCallback takes the provider's answer: the state must be the one
// this browser was sent with, once; the code is redeemed with the PKCE
// verifier and the ID token verified; the claim must map to a role.
func (c *Console) oidcCallback(w http.ResponseWriter, r *http.Request) {
	o, q := c.oidc, r.URL.Query()
	if name := stateCookieName(q.Get("state")); name != "" {
		http.SetCookie(w, &http.Cookie{Name: name, Value: "",
			Path: "/oidc/", MaxAge: -1, HttpOnly: true,
			Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	}
	f, ok := c.oidcFlow(r, q.Get("state"))
	if !ok {
		c.oidcRefused(w, r, "/", http.StatusBadRequest, identity{},
			errors.New("state absent, not started in this browser, "+
				"already used or expired"), "This sign-in was not "+
				"started in this browser, was already used or took "+
				"too long. Start again.")
		return
	}
	if e := q.Get("error"); e != "" {
		e = providerText(e, 64)
		c.oidcRefused(w, r, f.next, http.StatusUnauthorized, identity{},
			errors.New("provider answered "+e+": "+
				providerText(q.Get("error_description"), 256)),
			"The identity provider did not sign you in ("+e+").")
		return
	}
	p, err := o.discover(r.Context())
	if err == nil {
		var id identity
		if id, err = o.exchange(r.Context(), p, q.Get("code"), f); err == nil {
			c.oidcGrant(w, r, f, id)
			return
		}
	}
	msg := "The identity provider's answer was not accepted (a code " +
		"used twice, an ID token that does not verify). Start again."
	if errors.Is(err, errClaimShape) {
		msg = "Your ID token's " + o.cfg.Claim + " claim is not a name " +
			"or a list of names, so no role can be found for you. Ask " +
			"an admin to check the claim the provider sends."
	}
	c.oidcRefused(w, r, f.next, http.StatusUnauthorized, identity{}, err,
		msg)
}

// providerText is s, a value of the provider's answer as the browser
// brought it back, cut to at most n bytes between characters and marked
// "...": whoever holds a sign-in in progress can write it, and it is
// logged and audited, as long as the URL could be (up to a mebibyte)
// before.
func providerText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

// oidcFlow is the flow of state when this browser's cookie of it holds
// it, taken once.
func (c *Console) oidcFlow(r *http.Request, state string) (flow, bool) {
	name := stateCookieName(state)
	if name == "" {
		return flow{}, false
	}
	ck, err := r.Cookie(name)
	if err != nil ||
		subtle.ConstantTimeCompare([]byte(ck.Value), []byte(state)) != 1 {
		return flow{}, false
	}
	return c.oidc.finish(state)
}

// oidcGrant signs id in with the role of the first grant it holds, or
// refuses it when it holds none.
func (c *Console) oidcGrant(w http.ResponseWriter, r *http.Request, f flow,
	id identity) {
	o := c.oidc
	g, ok := o.grant(id)
	if !ok {
		c.oidcRefused(w, r, f.next, http.StatusForbidden, id,
			errors.New("no grant matches claim "+o.cfg.Claim),
			"You are signed in at "+o.cfg.Name+" as "+oidcCaller{id: id}.Name()+
				", but none of your "+o.cfg.Claim+" is given a role in "+
				"this console. Ask an admin to add you to one that is.")
		return
	}
	c.signIn(w, r, newOIDCCaller(id, g), map[string]any{"method": "oidc",
		"issuer": id.Issuer, "subject": id.Subject, "email": id.Email,
		"grant": g.Value, "role": g.Role})
	// A page, not a redirect: a Strict cookie set at the end of a chain
	// of redirects that began at another site is not sent on its next
	// step, so the browser goes on from a page of this site.
	c.render(w, r, nil, http.StatusOK, "signedin", "Signed in", f.next)
}

// oidcRefused refuses a sign-in with the provider: audited and counted
// against the address as a refused token is. id is who the provider
// named, when it got that far; err is logged and audited, msg shown.
func (c *Console) oidcRefused(w http.ResponseWriter, r *http.Request,
	next string, status int, id identity, err error, msg string) {
	ip, block := clientIP(r), api.ClientAddr(r)
	if !c.guard.allow(block) {
		w.Header().Set("Retry-After", "60")
		c.render(w, r, nil, http.StatusTooManyRequests, "login", "Sign in",
			c.loginView(next, "Too many sign-in attempts from your "+
				"address. Wait a minute and try again."))
		return
	}
	c.guard.failed(block)
	details := map[string]any{"method": "oidc", "issuer": c.oidc.cfg.Issuer}
	if id.Subject != "" {
		details["subject"], details["email"] = id.Subject, id.Email
	}
	c.signInFailed(r, ip, err, details)
	c.render(w, r, nil, status, "login", "Sign in", c.loginView(next, msg))
}
