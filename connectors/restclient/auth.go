package restclient

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Auth puts credentials on one attempt of a request. Apply is called for
// every attempt, on a copy of the request, so it may refresh a token or
// sign with a fresh date. An error it returns should be an *AuthError
// saying whether trying again can help; it must not contain the secret.
type Auth interface {
	Apply(r *http.Request) error
}

// SecretHolder is an Auth that tells which secrets it holds, so that the
// client can scrub them from any text a server echoes back. Every Auth of
// this package implements it.
type SecretHolder interface {
	Secrets() []Secret
}

// Forgetter is an Auth that caches a token it can drop: after a 401 the
// client drops it and tries once more with a fresh one (a token revoked
// or expired early at the server).
type Forgetter interface {
	Forget() bool
}

// AuthError is a failure to obtain or apply credentials.
type AuthError struct {
	// Retryable is true when the failure may pass (the token endpoint
	// was unreachable or throttled), false when the credentials are bad.
	Retryable bool
	Err       error
}

func (e *AuthError) Error() string { return "authenticate: " + e.Err.Error() }

func (e *AuthError) Unwrap() error { return e.Err }

// headerAuth sets one header to a fixed prefix and a secret.
type headerAuth struct {
	name, prefix string
	secret       Secret
}

// SSWS authenticates with an Okta API token: "Authorization: SSWS <token>".
func SSWS(token Secret) Auth { return headerAuth{"Authorization", "SSWS ", token} }

// Bearer authenticates with "Authorization: Bearer <token>".
func Bearer(token Secret) Auth { return headerAuth{"Authorization", "Bearer ", token} }

// Header authenticates with a header of its own, such as X-Vault-Token.
func Header(name string, secret Secret) Auth { return headerAuth{name, "", secret} }

func (a headerAuth) Apply(r *http.Request) error {
	r.Header.Set(a.name, a.prefix+a.secret.Reveal())
	return nil
}

func (a headerAuth) Secrets() []Secret { return []Secret{a.secret} }

type basicAuth struct {
	user string
	pass Secret
}

// Basic authenticates with HTTP Basic (RFC 7617), as an OAuth client does
// at a revocation or introspection endpoint.
func Basic(user string, password Secret) Auth { return basicAuth{user, password} }

func (a basicAuth) Apply(r *http.Request) error {
	r.SetBasicAuth(a.user, a.pass.Reveal())
	return nil
}

// Secrets are the password and the header value that encodes it.
func (a basicAuth) Secrets() []Secret {
	enc := base64.StdEncoding.EncodeToString([]byte(a.user + ":" + a.pass.Reveal()))
	return []Secret{a.pass, NewSecret(enc)}
}

type noAuth struct{}

// None sends no credentials: for APIs called anonymously, such as GitHub's
// credential revocation.
func None() Auth { return noAuth{} }

func (noAuth) Apply(*http.Request) error { return nil }

func (noAuth) Secrets() []Secret { return nil }

// ClientCredentialsConfig names an OAuth 2.0 client that gets its access
// token with the client credentials grant (RFC 6749 §4.4).
type ClientCredentialsConfig struct {
	// TokenURL is the token endpoint.
	TokenURL string
	// ClientID and ClientSecret identify the client.
	ClientID     string
	ClientSecret Secret
	// Scopes are requested with the token; Graph wants
	// "https://graph.microsoft.com/.default".
	Scopes []string
	// Params are extra form fields, such as Auth0's "audience".
	Params map[string][]string
	// HTTPClient calls the token endpoint; nil uses one with a 10s
	// timeout.
	HTTPClient *http.Client
}

// tokenAuth caches one access token and fetches a new one, with the
// context of the request that needs it, when it is about to expire.
type tokenAuth struct {
	fetch    func(ctx context.Context) (*oauth2.Token, error)
	tokenURL string
	secrets  []Secret
	mu       sync.Mutex
	tok      *oauth2.Token
}

// OAuth2 authenticates with a Bearer token that fetch obtains (a JWT
// bearer grant, a token exchange); tokens are cached until they expire.
// tokenURL names the endpoint in errors; secrets are what fetch uses, to
// scrub from any error.
func OAuth2(tokenURL string, fetch func(ctx context.Context) (*oauth2.Token, error),
	secrets ...Secret) Auth {
	return &tokenAuth{fetch: fetch, tokenURL: tokenURL, secrets: secrets}
}

// ClientCredentials authenticates with a Bearer token from the client
// credentials grant, on golang.org/x/oauth2/clientcredentials.
func ClientCredentials(c ClientCredentialsConfig) Auth {
	hc := c.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: defaultTokenTimeout}
	}
	cfg := clientcredentials.Config{ClientID: c.ClientID,
		ClientSecret: c.ClientSecret.Reveal(), TokenURL: c.TokenURL,
		Scopes: c.Scopes, EndpointParams: c.Params}
	return OAuth2(c.TokenURL, func(ctx context.Context) (*oauth2.Token, error) {
		return cfg.Token(context.WithValue(ctx, oauth2.HTTPClient, hc))
	}, c.ClientSecret)
}

func (a *tokenAuth) Apply(r *http.Request) error {
	tok, err := a.token(r.Context())
	if err != nil {
		return err
	}
	tok.SetAuthHeader(r)
	return nil
}

// Forget drops the cached token, so that the next attempt fetches a new
// one; it reports whether there was one to drop.
func (a *tokenAuth) Forget() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	had := a.tok != nil
	a.tok = nil
	return had
}

// Secrets are the fetch's secrets and the access token in use.
func (a *tokenAuth) Secrets() []Secret {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.tok == nil {
		return a.secrets
	}
	return append([]Secret{NewSecret(a.tok.AccessToken)}, a.secrets...)
}

func (a *tokenAuth) token(ctx context.Context) (*oauth2.Token, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.tok.Valid() {
		return a.tok, nil
	}
	tok, err := a.fetch(ctx)
	if err != nil {
		return nil, tokenError(err, a.tokenURL)
	}
	a.tok = tok
	return tok, nil
}

// tokenError keeps the token endpoint's status and error code, drops its
// body and URL query, and says whether another try may help.
func tokenError(err error, tokenURL string) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		return &AuthError{Retryable: status == 429 || status >= 500,
			Err: fmt.Errorf("token endpoint %s: status %d %s",
				redactRaw(tokenURL), status, re.ErrorCode)}
	}
	return &AuthError{Retryable: true,
		Err: fmt.Errorf("token endpoint %s: %w", redactRaw(tokenURL),
			RedactError(err))}
}
