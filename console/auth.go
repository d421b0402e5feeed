package console

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode"

	"golang.org/x/time/rate"

	"github.com/killswitch-dev/killswitch/api"
	"github.com/killswitch-dev/killswitch/store"
)

// The roles, each allowed what the ones before it are: viewer reads,
// responder terminates, locks and decides approvals, policy-admin manages
// policies and sweeps, admin tokens and configuration.
const (
	RoleViewer      = "viewer"
	RoleResponder   = "responder"
	RolePolicyAdmin = "policy-admin"
	RoleAdmin       = "admin"
)

// Caller is who signed in, as the Authenticator found them from their
// token.
type Caller interface {
	// Name identifies the caller in the audit trail and the logs; it is
	// never the token.
	Name() string
	// Can reports whether the caller holds role or one above it.
	Can(role string) bool
	// InScope reports whether the caller may see and act on sessions
	// (and credentials) of principals of that kind at that provider (or
	// credential store). An empty provider asks about the kind alone.
	InScope(kind, provider string) bool
	// Scope answers for records of st, by the API's rules; one per
	// request.
	Scope(st store.Store) *api.Scope
	// Recheck returns the caller as its token stands now; an error (the
	// token was revoked or expired since the sign-in) ends the sign-in.
	// The console calls it on every request of a sign-in.
	Recheck(ctx context.Context) (Caller, error)
}

// Authenticator checks an API token pasted at sign-in. An error refuses
// the sign-in; its text is logged, so it must never hold the token.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (Caller, error)
}

// AuthFunc makes a function an Authenticator.
type AuthFunc func(ctx context.Context, token string) (Caller, error)

// Authenticate calls f.
func (f AuthFunc) Authenticate(ctx context.Context, token string) (Caller, error) {
	return f(ctx, token)
}

// Audit events of the console's own.
const (
	EventSignedIn     = "console.signed_in"
	EventSignInFailed = "console.sign_in_failed"
	EventSignedOut    = "console.signed_out"
	// EventSignInEnded: a sign-in ended because its token was revoked
	// or expired.
	EventSignInEnded = "console.sign_in_ended"
)

// cookieName is the cookie holding the sign-in's random id.
const cookieName = "killswitch_console"

// handler is a page or action for a signed-in caller.
type handler func(w http.ResponseWriter, r *http.Request, who Caller)

// route mounts h at pattern for callers holding role. A request without
// a sign-in goes to the sign-in page (a GET) or is refused (anything
// else); one whose caller lacks the role is refused with 403, so a forged
// POST does nothing.
func (c *Console) route(mux *http.ServeMux, pattern, role string, h handler) {
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		who := c.caller(r)
		if who == nil {
			c.needSignIn(w, r)
			return
		}
		if !who.Can(role) {
			c.fail(w, r, who, http.StatusForbidden, "This needs the "+role+
				" role; you are signed in as "+who.Name()+", who does "+
				"not have it.")
			return
		}
		h(w, r, who)
	})
}

// caller is the signed-in caller of r, or nil. A sign-in whose token
// was revoked or expired since ends here: it never outlives its token.
func (c *Console) caller(r *http.Request) Caller {
	ck, err := r.Cookie(cookieName)
	if err != nil {
		return nil
	}
	who := c.logins.get(ck.Value)
	if who == nil {
		return nil
	}
	now, err := who.Recheck(r.Context())
	if err != nil {
		c.endSignIn(r, ck.Value, who, err)
		return nil
	}
	return now
}

// endSignIn ends the sign-in id of who, whose token no longer holds
// (err says why; it never holds the token). A store error refuses this
// request only.
func (c *Console) endSignIn(r *http.Request, id string, who Caller, err error) {
	if !errors.Is(err, api.ErrTokenRevoked) &&
		!errors.Is(err, api.ErrTokenExpired) &&
		!errors.Is(err, api.ErrUnknownToken) {
		c.log.Warn("recheck sign-in", "caller", who.Name(), "err", err)
		return
	}
	if c.logins.remove(id) != nil {
		c.log.Info("sign-in ended", "caller", who.Name(), "err", err)
		c.auditEvent(r.Context(), who, EventSignInEnded, "console",
			map[string]any{"reason": err.Error()})
	}
}

func (c *Console) needSignIn(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		http.Redirect(w, r, "/login?next="+
			url.QueryEscape(localPath(r.URL.RequestURI())),
			http.StatusSeeOther)
		return
	}
	c.fail(w, r, nil, http.StatusUnauthorized,
		"You are not signed in (or your sign-in expired). Sign in and try again.")
}

// maxReturnPath bounds the page a sign-in returns to: each OIDC
// sign-in in progress keeps it, and one as long as a request's header
// may be (a mebibyte) made the 10,000 sign-ins the console remembers
// ten gibibytes.
const maxReturnPath = 4096

// localPath is p when it is a path on this server, else "/": a sign-in
// never redirects elsewhere. Browsers drop tabs and newlines inside a URL
// and read a backslash as a slash, so a path holding any control
// character, space or backslash is refused whole, as is one that starts
// with two slashes (another host), or one longer than maxReturnPath.
// What is kept is re-encoded.
func localPath(p string) string {
	if len(p) > maxReturnPath ||
		!strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") ||
		strings.ContainsFunc(p, func(r rune) bool {
			return r <= ' ' || r == 0x7f || r == '\\' ||
				unicode.IsControl(r) || unicode.IsSpace(r)
		}) {
		return "/"
	}
	u, err := url.ParseRequestURI(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil ||
		u.Opaque != "" {
		return "/"
	}
	out := u.RequestURI()
	if len(out) > maxReturnPath || !strings.HasPrefix(out, "/") ||
		strings.HasPrefix(out, "//") {
		return "/"
	}
	return out
}

type loginView struct {
	Next  string
	Error string
	// OIDC names the OpenID Connect provider to sign in with; empty
	// when none is configured.
	OIDC string
}

// loginView is the sign-in page returning to next, showing msg.
func (c *Console) loginView(next, msg string) loginView {
	v := loginView{Next: next, Error: msg}
	if c.oidc != nil {
		v.OIDC = c.oidc.cfg.Name
	}
	return v
}

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, nil, http.StatusOK, "login", "Sign in",
		c.loginView(localPath(r.URL.Query().Get("next")), ""))
}

func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	next := localPath(r.PostFormValue("next"))
	ip, block := clientIP(r), api.ClientAddr(r)
	token := strings.TrimSpace(r.PostFormValue("token"))
	if token == "" {
		c.render(w, r, nil, http.StatusBadRequest, "login", "Sign in",
			c.loginView(next, "Token: paste an API token."))
		return
	}
	// A valid token signs in even from an address past its limit of
	// failures: a guesser must not lock out whoever shares its address.
	who, err := c.cfg.Auth.Authenticate(r.Context(), token)
	if err != nil && !c.guard.allow(block) {
		w.Header().Set("Retry-After", "60")
		c.render(w, r, nil, http.StatusTooManyRequests, "login", "Sign in",
			c.loginView(next, "Too many sign-in attempts from "+
				"your address. Wait a minute and try again."))
		return
	}
	if err != nil {
		c.guard.failed(block)
		c.signInFailed(r, ip, err, nil)
		c.render(w, r, nil, http.StatusUnauthorized, "login", "Sign in",
			c.loginView(next, "Token: not accepted (unknown, "+
				"revoked or expired). Check it, or ask an admin for a new one."))
		return
	}
	c.signIn(w, r, who, nil)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// signIn signs who in and audits it with details (and the address and
// expiry).
func (c *Console) signIn(w http.ResponseWriter, r *http.Request, who Caller,
	details map[string]any) {
	id, expires := c.logins.add(who, c.cfg.SignInFor)
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: id, Path: "/",
		Expires: expires, MaxAge: int(c.cfg.SignInFor / time.Second),
		HttpOnly: true, Secure: r.TLS != nil,
		SameSite: http.SameSiteStrictMode})
	c.log.Info("signed in", "caller", who.Name(), "remote", clientIP(r))
	if details == nil {
		details = map[string]any{}
	}
	details["remote"], details["expires_at"] = clientIP(r), expires
	c.auditEvent(r.Context(), who, EventSignedIn, "console", details)
}

// signInFailed logs and audits a refused sign-in from ip, with details;
// err (never holding a secret) is logged, and audited as the reason with
// details.
func (c *Console) signInFailed(r *http.Request, ip string, err error,
	details map[string]any) {
	c.log.Info("sign-in refused", "remote", ip, "err", err)
	if details == nil {
		details = map[string]any{}
	} else {
		details["reason"] = err.Error()
	}
	details["remote"] = ip
	e := store.AuditEntry{Time: c.cfg.Clock(), Actor: "anonymous",
		Event: EventSignInFailed, Subject: "console",
		Details: mustJSON(details)}
	if err := c.st.AppendAudit(r.Context(), e); err != nil {
		c.log.Warn("audit refused sign-in", "err", err)
	}
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request) {
	if ck, err := r.Cookie(cookieName); err == nil {
		if who := c.logins.remove(ck.Value); who != nil {
			c.auditEvent(r.Context(), who, EventSignedOut, "console", nil)
		}
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/",
		MaxAge: -1, HttpOnly: true, Secure: r.TLS != nil,
		SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// auditEvent appends one entry with the caller as the operator; a failed
// append is logged, since the change it records is made.
func (c *Console) auditEvent(ctx context.Context, who Caller, event,
	subject string, details map[string]any) {
	e := store.AuditEntry{Time: c.cfg.Clock(), Actor: "operator:" + who.Name(),
		Event: event, Subject: subject}
	if details != nil {
		e.Details = mustJSON(details)
	}
	if err := c.st.AppendAudit(ctx, e); err != nil {
		c.log.Warn("audit", "event", event, "err", err)
	}
}

// clientIP is the address the request came from (no proxy headers are
// trusted).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// loginGuard limits failed sign-ins per client address, as
// api.ClientAddr counts them (an IPv6 client by its /64): after 5 in a
// row, one every 10 seconds. A sign-in that works costs nothing.
type loginGuard struct {
	mu    sync.Mutex
	clock func() time.Time
	by    map[string]*rate.Limiter
}

// maxGuarded bounds how many addresses the guard remembers; past it,
// those whose allowance is full again are forgotten, never one still
// held back.
const maxGuarded = 10000

// guardBurst is how many failures in a row an address has before it
// is held back.
const guardBurst = 5

func newLoginGuard(clock func() time.Time) *loginGuard {
	return &loginGuard{clock: clock, by: map[string]*rate.Limiter{}}
}

// allow reports whether addr may try to sign in now.
func (g *loginGuard) allow(addr string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	l, ok := g.by[addr]
	return !ok || l.TokensAt(g.clock()) >= 1
}

// failed counts a failed sign-in from addr.
func (g *loginGuard) failed(addr string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.clock()
	l, ok := g.by[addr]
	if !ok {
		g.prune(now)
		l = rate.NewLimiter(rate.Every(10*time.Second), guardBurst)
		g.by[addr] = l
	}
	l.AllowN(now, 1)
}

// prune forgets the addresses whose allowance is full again, once
// maxGuarded are remembered. The caller holds mu.
func (g *loginGuard) prune(now time.Time) {
	if len(g.by) < maxGuarded {
		return
	}
	for addr, l := range g.by {
		if l.TokensAt(now) >= guardBurst {
			delete(g.by, addr)
		}
	}
}
