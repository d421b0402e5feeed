package console

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/sync/singleflight"

	"github.com/killswitch-dev/killswitch/api"
	"github.com/killswitch-dev/killswitch/store"
)

// flowFor bounds how long a browser may take at the provider between
// leaving for it and coming back.
const flowFor = 10 * time.Minute

// maxFlows bounds the sign-ins in progress the console remembers, and
// flowsPerAddress those of one client address (an IPv6 client is its
// /64, as api.ClientAddr counts it): past either, a new one
// forgets the oldest (of that address first), so that an address
// starting sign-ins it never finishes cannot keep others from signing
// in.
const (
	maxFlows        = 10000
	flowsPerAddress = 20
)

// stateCookie binds a sign-in in progress to the browser that started
// it: a callback whose state this browser did not start is refused.
// Each sign-in has a cookie of its own, named stateCookie, "_" and the
// first stateNameLen characters of its state (stateCookieName), so that
// sign-ins begun in two tabs of one browser both come back: with one
// cookie, the second replaced the first's.
const (
	stateCookie  = "killswitch_oidc_state"
	stateNameLen = 16
)

// stateCookieName is the name of the cookie of the sign-in of state,
// "" when state is too short to be one the console made.
func stateCookieName(state string) string {
	if len(state) < stateNameLen {
		return ""
	}
	return stateCookie + "_" + state[:stateNameLen]
}

// discoverFor bounds one attempt at the provider's discovery document.
const discoverFor = 10 * time.Second

// oidcLogin signs in through an OpenID Connect provider. The provider is
// discovered when first needed, and again on each sign-in until it
// answers: a provider down at start-up does not keep the console down.
type oidcLogin struct {
	cfg   OIDCConfig
	clock func() time.Time
	log   *slog.Logger

	discovery singleflight.Group // one fetch at a time, shared
	mu        sync.Mutex
	provider  *oidc.Provider // nil until discovered
	lastErr   string         // the last discovery error warned of
	flows     map[string]flow
	seq       uint64 // of the last flow started
}

// flow is a sign-in in progress, named by its state.
type flow struct {
	nonce, verifier, next string
	// addr is the client address that started it; seq orders the flows
	// by their start.
	addr    string
	seq     uint64
	expires time.Time
}

func newOIDCLogin(cfg OIDCConfig, clock func() time.Time,
	log *slog.Logger) *oidcLogin {
	if cfg.Name == "" {
		cfg.Name = "single sign-on"
	}
	if cfg.Claim == "" {
		cfg.Claim = "groups"
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	return &oidcLogin{cfg: cfg, clock: clock, flows: map[string]flow{},
		log: log.With("issuer", cfg.Issuer)}
}

// discover returns the provider, fetching its discovery document when
// it has not answered yet. Callers who ask while a fetch is going on
// wait for it, each no longer than its context, rather than fetch in
// turn: a provider that does not answer held the n-th of n sign-ins
// begun together for n attempts of up to discoverFor each. A failure is
// warned of once per changed error and tried again on the next call.
func (o *oidcLogin) discover(ctx context.Context) (*oidc.Provider, error) {
	for {
		o.mu.Lock()
		p := o.provider
		o.mu.Unlock()
		if p != nil {
			return p, nil
		}
		ch := o.discovery.DoChan("", func() (any, error) {
			return o.fetch(ctx)
		})
		select {
		case r := <-ch:
			// A fetch its own caller left is not this caller's answer.
			if r.Err != nil && errors.Is(r.Err, context.Canceled) &&
				ctx.Err() == nil {
				continue
			}
			p, _ = r.Val.(*oidc.Provider)
			return p, r.Err
		case <-ctx.Done():
			return nil, fmt.Errorf("discover %s: %w", o.cfg.Issuer,
				ctx.Err())
		}
	}
}

// fetch fetches the provider's discovery document and keeps the
// provider it describes.
func (o *oidcLogin) fetch(ctx context.Context) (*oidc.Provider, error) {
	tctx, cancel := context.WithTimeout(ctx, discoverFor)
	defer cancel()
	p, err := oidc.NewProvider(oidc.ClientContext(tctx, o.cfg.HTTPClient),
		o.cfg.Issuer)
	o.mu.Lock()
	defer o.mu.Unlock()
	switch {
	case err != nil && ctx.Err() != nil:
		// The browser left, or run is stopping: nothing to warn of.
		o.log.Debug("OIDC discovery cancelled", "err", err)
		return nil, fmt.Errorf("discover %s: %w", o.cfg.Issuer, err)
	case err != nil:
		if err.Error() != o.lastErr {
			o.lastErr = err.Error()
			o.log.Warn("OIDC discovery failed; sign-in with the provider "+
				"is unavailable until it answers, tried again on the "+
				"next sign-in", "err", err)
		}
		return nil, fmt.Errorf("discover %s: %w", o.cfg.Issuer, err)
	}
	o.provider, o.lastErr = p, ""
	o.log.Info("OIDC provider discovered")
	return p, nil
}

// oauth2Config is the client's configuration at provider p.
func (o *oidcLogin) oauth2Config(p *oidc.Provider) *oauth2.Config {
	ep := p.Endpoint()
	ep.AuthStyle = o.authStyle(p)
	return &oauth2.Config{ClientID: o.cfg.ClientID,
		ClientSecret: o.cfg.ClientSecret.Reveal(), Endpoint: ep,
		RedirectURL: o.cfg.RedirectURL,
		Scopes: append([]string{oidc.ScopeOpenID, "email", "profile"},
			o.cfg.Scopes...)}
}

// authStyle is how the client proves itself at the token endpoint:
// HTTP Basic (client_secret_basic), the default of OpenID Connect
// Discovery, unless the provider lists only client_secret_post; a public
// client sends its id in the form. Left to guess, golang.org/x/oauth2
// tries the other style after any refusal, and the refusal reported
// (invalid_client) hid the first (a code used twice: invalid_grant).
func (o *oidcLogin) authStyle(p *oidc.Provider) oauth2.AuthStyle {
	var doc struct {
		Methods []string `json:"token_endpoint_auth_methods_supported"`
	}
	_ = p.Claims(&doc) // the document decoded once already
	if o.cfg.ClientSecret == "" || (len(doc.Methods) > 0 &&
		!slices.Contains(doc.Methods, "client_secret_basic") &&
		slices.Contains(doc.Methods, "client_secret_post")) {
		return oauth2.AuthStyleInParams
	}
	return oauth2.AuthStyleInHeader
}

// start remembers a new flow of the client at addr (api.ClientAddr),
// returning to next, and returns its state.
func (o *oidcLogin) start(addr, next string) (string, flow) {
	f := flow{nonce: random(), verifier: oauth2.GenerateVerifier(),
		next: next, addr: addr, expires: o.clock().Add(flowFor)}
	state := random()
	o.mu.Lock()
	defer o.mu.Unlock()
	o.seq++
	f.seq = o.seq
	now := o.clock()
	mine, oldestMine, oldest := 0, "", ""
	for k, v := range o.flows {
		switch {
		case !now.Before(v.expires):
			delete(o.flows, k)
			continue
		case v.addr == addr:
			mine++
			if oldestMine == "" || v.seq < o.flows[oldestMine].seq {
				oldestMine = k
			}
		}
		if oldest == "" || v.seq < o.flows[oldest].seq {
			oldest = k
		}
	}
	if mine >= flowsPerAddress {
		delete(o.flows, oldestMine)
	} else if len(o.flows) >= maxFlows {
		delete(o.flows, oldest)
	}
	o.flows[state] = f
	return state, f
}

// finish takes the flow of state, once: a second callback with the same
// state finds nothing.
func (o *oidcLogin) finish(state string) (flow, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	f, ok := o.flows[state]
	delete(o.flows, state)
	if !ok || !o.clock().Before(f.expires) {
		return flow{}, false
	}
	return f, true
}

// random is 32 random bytes, base64url.
func random() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on Linux
	return base64.RawURLEncoding.EncodeToString(b)
}

// identity is who the provider vouched for in a verified ID token.
type identity struct {
	Issuer, Subject, Email string
	// Values are the values of the mapped claim.
	Values []string
}

// exchange redeems code for tokens, verifies the ID token (signature,
// issuer, audience, expiry and nonce) and returns who it names.
func (o *oidcLogin) exchange(ctx context.Context, p *oidc.Provider,
	code string, f flow) (identity, error) {
	ctx = oidc.ClientContext(ctx, o.cfg.HTTPClient)
	tok, err := o.oauth2Config(p).Exchange(ctx, code,
		oauth2.VerifierOption(f.verifier))
	if err != nil {
		return identity{}, fmt.Errorf("redeem the code: %w", err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return identity{}, errors.New("the token answer holds no ID token")
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: o.cfg.ClientID,
		Now: o.clock}).Verify(ctx, raw)
	if err != nil {
		return identity{}, fmt.Errorf("ID token: %w", err)
	}
	if idt.Nonce != f.nonce {
		return identity{}, errors.New("ID token: nonce is not the one " +
			"this sign-in sent")
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return identity{}, fmt.Errorf("ID token: claims: %w", err)
	}
	id := identity{Issuer: idt.Issuer, Subject: idt.Subject}
	id.Email, _ = claims["email"].(string)
	id.Values, err = claimValues(claims, o.cfg.Claim)
	return id, err
}

// errClaimShape is the fault of an ID token whose mapped claim is not a
// string or a list of strings: the provider's claim mapping, not the
// sign-in, is wrong.
var errClaimShape = errors.New("not a string or a list of strings")

// claimValues are the values of claim: a string or a list of strings;
// none when it is absent.
func claimValues(claims map[string]any, claim string) ([]string, error) {
	switch v := claims[claim].(type) {
	case nil:
		return nil, nil
	case string:
		return []string{v}, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("ID token: claim %s: a list "+
					"holding a %T: %w", claim, e, errClaimShape)
			}
			out = append(out, s)
		}
		return out, nil
	default:
		return nil, fmt.Errorf("ID token: claim %s: a %T: %w", claim, v,
			errClaimShape)
	}
}

// grant is the first grant whose value id holds, or false.
func (o *oidcLogin) grant(id identity) (OIDCGrant, bool) {
	for _, g := range o.cfg.Grants {
		if slices.Contains(id.Values, g.Value) {
			return g, true
		}
	}
	return OIDCGrant{}, false
}

// oidcCaller is a user signed in through the provider, with the role
// and scopes of the grant that matched.
type oidcCaller struct {
	c  api.Caller
	id identity
}

func newOIDCCaller(id identity, g OIDCGrant) oidcCaller {
	return oidcCaller{id: id, c: api.Caller{Name: id.Email,
		Role: api.Role(g.Role), Scopes: store.TokenScopes{
			PrincipalKinds: g.PrincipalKinds, Providers: g.Providers}}}
}

// Name is the user's e-mail (or subject), the issuer and the subject:
// the operator in the audit trail.
func (x oidcCaller) Name() string {
	who := x.id.Email
	if who == "" {
		who = x.id.Subject
	}
	return who + "(oidc iss=" + x.id.Issuer + " sub=" + x.id.Subject + ")"
}

func (x oidcCaller) Can(role string) bool { return x.c.Can(api.Role(role)) }

func (x oidcCaller) InScope(kind, provider string) bool {
	return x.c.InScope(store.PrincipalKind(kind), provider)
}

func (x oidcCaller) Scope(st store.Store) *api.Scope { return api.NewScope(st, x.c) }

// Recheck keeps the sign-in: it lasts its time (Config.SignInFor), and a
// change of the user's groups at the provider applies from the next.
func (x oidcCaller) Recheck(context.Context) (Caller, error) { return x, nil }
