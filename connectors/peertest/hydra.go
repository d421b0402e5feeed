package peertest

import (
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"testing"
	"time"
)

// HydraVersion is the Ory Hydra release scripts/build-peers builds.
const HydraVersion = "v2.3.0"

// Hydra is a running Ory Hydra.
type Hydra struct {
	// PublicURL serves OAuth 2.0 (authorize, token, revoke); AdminURL the
	// admin API (clients, consent, introspection).
	PublicURL string
	AdminURL  string
}

// hydraConfig is the configuration: in-memory SQLite, opaque access
// tokens, and the login and consent app at %[4]s and %[5]s.
const hydraConfig = `dsn: memory
log:
  level: warn
serve:
  public: {host: 127.0.0.1, port: %[1]d}
  admin: {host: 127.0.0.1, port: %[2]d}
urls:
  self:
    issuer: "%[3]s/"
  login: "%[4]s"
  consent: "%[5]s"
secrets:
  system: [killswitch-test-system-secret-0123456789]
strategies:
  access_token: opaque
`

// HydraOptions change how StartHydraWith runs Hydra.
type HydraOptions struct {
	// PublicPort is the port of the public API and so of the issuer,
	// http://127.0.0.1:PORT/; 0 picks a free one. A test that knows it
	// before the start can point a client at Hydra while it is down.
	PublicPort int
	// LoginURL and ConsentURL are the login and consent app Hydra sends
	// the browser to; by default an address nothing serves, for tests
	// that accept the requests through the admin API instead.
	LoginURL, ConsentURL string
}

// StartHydra runs Hydra for the test and waits until it is ready.
func StartHydra(t testing.TB) *Hydra {
	t.Helper()
	return StartHydraWith(t, HydraOptions{})
}

// StartHydraWith runs Hydra as o says and waits until it is ready.
func StartHydraWith(t testing.TB, o HydraOptions) *Hydra {
	t.Helper()
	bin := Binary(t, "hydra", HydraVersion)
	dir := t.TempDir()
	pub, adm := o.PublicPort, FreePort(t)
	if pub == 0 {
		pub = FreePort(t)
	}
	if o.LoginURL == "" {
		o.LoginURL = "http://127.0.0.1:9/login"
	}
	if o.ConsentURL == "" {
		o.ConsentURL = "http://127.0.0.1:9/consent"
	}
	h := &Hydra{PublicURL: baseURL(pub), AdminURL: baseURL(adm)}
	writeFile(t, filepath.Join(dir, "hydra.yaml"), fmt.Sprintf(hydraConfig,
		pub, adm, h.PublicURL, o.LoginURL, o.ConsentURL))
	p := start(t, "hydra", bin, dir, "serve", "all", "--dev",
		"--config", "hydra.yaml")
	p.waitReady(t, h.AdminURL+"/health/ready")
	return h
}

// Issuer is Hydra's issuer URL, as its ID tokens write it.
func (h *Hydra) Issuer() string { return h.PublicURL + "/" }

// Client is an OAuth 2.0 client registered at Hydra.
type Client struct {
	ID, Secret, RedirectURI string
}

// CreateClient registers a confidential client for the authorization
// code flow with refresh tokens.
func (h *Hydra) CreateClient(t testing.TB, name string) Client {
	t.Helper()
	c := Client{RedirectURI: "http://127.0.0.1:9/callback"}
	body := map[string]any{"client_name": name,
		"grant_types":    []string{"authorization_code", "refresh_token"},
		"response_types": []string{"code"}, "scope": "openid offline_access",
		"redirect_uris":              []string{c.RedirectURI},
		"token_endpoint_auth_method": "client_secret_basic"}
	var out struct {
		ID     string `json:"client_id"`
		Secret string `json:"client_secret"`
	}
	call(t, http.MethodPost, h.AdminURL+"/admin/clients", nil, body,
		http.StatusCreated, &out)
	c.ID, c.Secret = out.ID, out.Secret
	return c
}

// RegisterClient registers c, its ID and Secret chosen by the test, as
// a confidential client of the authorization code flow (with PKCE, as
// any client may) that may ask for scope and be sent back to
// c.RedirectURI.
func (h *Hydra) RegisterClient(t testing.TB, c Client, scope string) {
	t.Helper()
	body := map[string]any{"client_id": c.ID, "client_secret": c.Secret,
		"client_name": c.ID, "grant_types": []string{"authorization_code"},
		"response_types": []string{"code"}, "scope": scope,
		"redirect_uris":              []string{c.RedirectURI},
		"token_endpoint_auth_method": "client_secret_basic"}
	call(t, http.MethodPost, h.AdminURL+"/admin/clients", nil, body,
		http.StatusCreated, nil)
}

// Tokens are what the token endpoint issued.
type Tokens struct {
	Access  string `json:"access_token"`
	Refresh string `json:"refresh_token"`
}

// Grant runs the authorization code flow for subject at client, playing
// the login and consent app through the admin API, and returns the
// tokens.
func (h *Hydra) Grant(t testing.TB, c Client, subject string) Tokens {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	browser := &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: client.CheckRedirect}
	q := url.Values{"client_id": {c.ID}, "response_type": {"code"},
		"scope": {"openid offline_access"}, "redirect_uri": {c.RedirectURI},
		"state": {"killswitch-state-1"}}
	loc := redirect(t, browser, h.PublicURL+"/oauth2/auth?"+q.Encode())
	loc = h.accept(t, browser, "login", query(t, loc, "login_challenge"),
		map[string]any{"subject": subject})
	loc = h.accept(t, browser, "consent", query(t, loc, "consent_challenge"),
		map[string]any{"grant_scope": []string{"openid", "offline_access"},
			"remember": true})
	form := url.Values{"grant_type": {"authorization_code"},
		"code": {query(t, loc, "code")}, "redirect_uri": {c.RedirectURI}}
	var tok Tokens
	postForm(t, h.PublicURL+"/oauth2/token", c.ID, c.Secret, form,
		http.StatusOK, &tok)
	return tok
}

// accept accepts a login or consent request and follows Hydra's redirect
// to the next step, returning where that points.
func (h *Hydra) accept(t testing.TB, browser *http.Client, kind,
	challenge string, body map[string]any) string {
	t.Helper()
	var out struct {
		RedirectTo string `json:"redirect_to"`
	}
	call(t, http.MethodPut, h.AdminURL+"/admin/oauth2/auth/requests/"+kind+
		"/accept?"+kind+"_challenge="+url.QueryEscape(challenge), nil, body,
		http.StatusOK, &out)
	return redirect(t, browser, out.RedirectTo)
}

// Introspect asks Hydra whether a token is active (RFC 7662).
func (h *Hydra) Introspect(t testing.TB, token string) bool {
	t.Helper()
	var out struct {
		Active bool `json:"active"`
	}
	postForm(t, h.AdminURL+"/admin/oauth2/introspect", "", "",
		url.Values{"token": {token}}, http.StatusOK, &out)
	return out.Active
}

// redirect GETs u with the browser and returns the Location it is sent
// to.
func redirect(t testing.TB, browser *http.Client, u string) string {
	t.Helper()
	req := newRequest(t, http.MethodGet, u, nil, nil)
	resp, err := browser.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", req.URL.Path, err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode/100 != 3 || loc == "" {
		t.Fatalf("GET %s: status %d, want a redirect", req.URL.Path,
			resp.StatusCode)
	}
	return loc
}

// query returns parameter name of URL u, failing the test when it is
// absent.
func query(t testing.TB, u, name string) string {
	t.Helper()
	parsed, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	v := parsed.Query().Get(name)
	if v == "" {
		t.Fatalf("no %s in %s", name, parsed.Redacted())
	}
	return v
}
