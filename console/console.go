// Package console is the web console of killswitch: server-rendered
// pages over the registry for responders, served by `killswitch run` at
// / on its one HTTP listener.
//
// A responder signs in by pasting an API token; the console checks it
// with an Authenticator and keeps a random session id in a cookie, never
// the token. Sign-ins live in memory: a restart signs everyone out.
// Every page checks the caller's role, and every change (a termination,
// a lock, a verdict) goes through the engine's own functions, audited
// with the caller as the operator. Every POST is guarded against
// cross-origin requests (net/http.CrossOriginProtection) and the cookie
// is SameSite=Strict.
//
// Pages are html/template; the stylesheet and the one small script
// (pausing the overview's refresh) are embedded, with no build step.
package console

import (
	"context"
	"embed"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/store"
)

//go:embed templates/*.html static/*
var assets embed.FS

// Revoker carries out an operator's revocation through the outbox;
// *engine.Executor is one. The console calls it on a request's context
// and shows what it returns.
type Revoker interface {
	Revoke(ctx context.Context, st store.Store,
		req engine.ManualRequest) ([]store.Action, error)
}

// PolicyState is what the policies page shows of the policy set in
// force.
type PolicyState struct {
	// Revision identifies the set in force.
	Revision string
	// Files are the policy files of the set, when known.
	Files []string
	// Path is the directory or bundle the set is reloaded from; empty
	// for the shipped library, which never reloads.
	Path string
	// ReloadError is why the last reload failed, while the set on disk
	// is not the one in force; empty otherwise.
	ReloadError string
}

// Config is what a console needs. Store, Auth and Revoker are required.
type Config struct {
	Store store.Store
	// Auth checks the API token pasted at sign-in.
	Auth Authenticator
	// Revoker terminates sessions (the engine's executor).
	Revoker Revoker
	// Policies tells the policy set in force; nil shows nothing known.
	Policies func() PolicyState
	// Connected reports whether a connector revokes at a provider; the
	// terminate page names the providers that have none, whose sessions
	// are cut in the registry only. Nil counts every provider connected.
	Connected func(provider string) bool
	// Gatherer, when set, is the registry of the engine's metrics, read
	// for the dead-letter count (killswitch_dlq_messages_total) on the
	// overview; nil shows the count as not known.
	Gatherer prometheus.Gatherer
	// SignInFor is how long a sign-in lasts; default 8h.
	SignInFor time.Duration
	// ConfirmAbove is the number of sessions above which terminating
	// them needs the responder to type how many; default 10.
	ConfirmAbove int
	// MaxTerminate bounds how many sessions one termination may cut;
	// default 10000. A larger match must be narrowed.
	MaxTerminate int
	// Refresh is how often the overview refreshes itself; default 10s.
	Refresh time.Duration
	// Clock tells the time; default time.Now in UTC.
	Clock func() time.Time
	// Log gets sign-ins and changes; default discard.
	Log *slog.Logger
	// RequireClientCert refuses every request without a verified client
	// certificate, as the API does under mTLS (run --tls-client-ca):
	// a token pasted at sign-in must not get around it.
	RequireClientCert bool
	// OIDC, when set, offers sign-in through an OpenID Connect provider
	// beside the API token; New refuses it when it does not validate.
	OIDC *OIDCConfig
}

func (c Config) withDefaults() Config {
	if c.SignInFor <= 0 {
		c.SignInFor = 8 * time.Hour
	}
	if c.ConfirmAbove <= 0 {
		c.ConfirmAbove = 10
	}
	if c.MaxTerminate <= 0 {
		c.MaxTerminate = 10000
	}
	if c.Refresh <= 0 {
		c.Refresh = 10 * time.Second
	}
	if c.Clock == nil {
		c.Clock = func() time.Time { return time.Now().UTC() }
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	c.Log = c.Log.With("component", "console")
	return c
}

// Console serves the web console.
type Console struct {
	cfg    Config
	st     store.Store
	logins *logins
	pages  *pages
	guard  *loginGuard
	oidc   *oidcLogin // nil without Config.OIDC
	log    *slog.Logger
}

// New builds a console; nothing is served until Handler is mounted.
func New(cfg Config) (*Console, error) {
	switch {
	case cfg.Store == nil:
		return nil, errors.New("console: store: required")
	case cfg.Auth == nil:
		return nil, errors.New("console: authenticator: required")
	case cfg.Revoker == nil:
		return nil, errors.New("console: revoker: required")
	}
	cfg = cfg.withDefaults()
	p, err := parsePages()
	if err != nil {
		return nil, err
	}
	c := &Console{cfg: cfg, st: cfg.Store, pages: p, log: cfg.Log,
		logins: newLogins(cfg.Clock), guard: newLoginGuard(cfg.Clock)}
	if cfg.OIDC != nil {
		if err := cfg.OIDC.Validate(); err != nil {
			return nil, err
		}
		c.oidc = newOIDCLogin(*cfg.OIDC, cfg.Clock, cfg.Log)
	}
	return c, nil
}

// DiscoverOIDC fetches the OpenID Connect provider's discovery document,
// when one is configured. An error, which the console warns of, leaves
// it serving: sign-in with the provider tries discovery again, and
// tokens still sign in.
func (c *Console) DiscoverOIDC(ctx context.Context) error {
	if c.oidc == nil {
		return nil
	}
	_, err := c.oidc.discover(ctx)
	return err
}

// Handler serves every page of the console, the sign-in and the
// embedded assets. Mount it at / : it answers every path that nothing
// more specific on the mux claims.
func (c *Console) Handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(assets, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/",
		http.FileServerFS(static)))
	mux.HandleFunc("GET /login", c.loginPage)
	mux.HandleFunc("POST /login", c.login)
	mux.HandleFunc("POST /logout", c.logout)
	if c.oidc != nil {
		mux.HandleFunc("GET /oidc/login", c.oidcStart)
		mux.HandleFunc("GET "+OIDCCallbackPath, c.oidcCallback)
	}
	c.route(mux, "GET /{$}", RoleViewer, c.overview)
	c.route(mux, "GET /sessions", RoleViewer, c.search)
	c.route(mux, "GET /sessions/terminate", RoleResponder, c.confirmTerminate)
	c.route(mux, "POST /sessions/terminate", RoleResponder, c.terminate)
	c.route(mux, "GET /principals/{id}", RoleViewer, c.principal)
	c.route(mux, "GET /locks", RoleViewer, c.locks)
	c.route(mux, "POST /locks", RoleResponder, c.placeLock)
	c.route(mux, "POST /locks/{id}/lift", RoleResponder, c.liftLock)
	c.route(mux, "GET /approvals", RoleViewer, c.approvals)
	c.route(mux, "POST /approvals/{id}", RoleResponder, c.decide)
	c.route(mux, "GET /audit", RoleViewer, c.audit)
	c.route(mux, "POST /audit/verify", RoleViewer, c.verifyAudit)
	c.route(mux, "GET /policies", RoleViewer, c.policies)
	c.route(mux, "/", RoleViewer, c.notFound)
	h := http.NewCrossOriginProtection().Handler(mux)
	if c.cfg.RequireClientCert {
		h = c.requireCert(h)
	}
	return securityHeaders(h)
}

// requireCert refuses a request without a verified client certificate.
func (c *Console) requireCert(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 {
			c.fail(w, r, nil, http.StatusForbidden, "This console needs "+
				"a client certificate (mTLS) signed by the listener's "+
				"client CA; your browser sent none.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// securityHeaders keeps pages out of frames and caches, and scripts and
// styles to the console's own.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; "+
			"frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}
