package api_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/api"
	"github.com/killswitch-dev/killswitch/store"
)

func TestRequestsWithoutAGoodTokenAreRefused(t *testing.T) {
	e := newEnv(t)
	expired := e.tokenSpec(api.TokenSpec{Name: "old", Role: api.Admin,
		CreatedBy: "test", CreatedAt: t0.Add(-2 * time.Hour),
		ExpiresAt: t0.Add(-time.Hour)})
	revoked := e.token(api.Admin, store.TokenScopes{})
	list, err := e.st.ListAPITokens(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.st.RevokeAPIToken(t.Context(), list[1].ID, "test", t0)
	if err != nil {
		t.Fatal(err)
	}
	unknown := api.SecretPrefix + strings.Repeat("a", 52)
	cases := []struct {
		name, secret string
		code         api.ProblemCode
	}{
		{"No token is unauthenticated", "", api.ProblemCodeUnauthenticated},
		{"An unknown token is unauthenticated", unknown,
			api.ProblemCodeUnauthenticated},
		{"A token without the prefix is unauthenticated", "hunter2",
			api.ProblemCodeUnauthenticated},
		{"An expired token is refused", expired,
			api.ProblemCodeTokenExpired},
		{"A revoked token is refused", revoked, api.ProblemCodeTokenRevoked},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(http.MethodGet, "/v1/principals", c.secret, nil)
			r.problem(t, http.StatusUnauthorized, c.code)
			if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
			}
		})
	}
	t.Run("Each failure is audited with a fingerprint, not the token",
		func(t *testing.T) {
			got := e.audit("api.auth_failed")
			if len(got) != len(cases) {
				t.Fatalf("%d failures audited, want %d", len(got), len(cases))
			}
			var d map[string]string
			json.Unmarshal(got[1].Details, &d)
			if d["fingerprint"] != api.Fingerprint(unknown) ||
				d["reason"] != "unauthenticated" || d["addr"] != "127.0.0.1" {
				t.Errorf("details %v", d)
			}
			for _, s := range []string{unknown, expired, revoked, "hunter2"} {
				e.noSecret(s)
			}
		})
}

func TestFailedAuthenticationIsRateLimitedPerAddress(t *testing.T) {
	e := newEnv(t)
	bad := api.SecretPrefix + "guess"
	for range 10 {
		e.do(http.MethodGet, "/v1/principals", bad, nil).
			problem(t, http.StatusUnauthorized, api.ProblemCodeUnauthenticated)
	}
	r := e.do(http.MethodGet, "/v1/principals", bad, nil)
	r.problem(t, http.StatusTooManyRequests, api.ProblemCodeRateLimited)
	wait, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || wait != 6 {
		t.Fatalf("Retry-After %q, want 6 (one failure earned back "+
			"every 6s)", r.header.Get("Retry-After"))
	}
	if n := len(e.audit("api.auth_failed")); n != 10 {
		t.Errorf("%d failures audited, want 10 (refusals are not)", n)
	}

	e.clock.advance(6 * time.Second)
	e.do(http.MethodGet, "/v1/principals", bad, nil).
		problem(t, http.StatusUnauthorized, api.ProblemCodeUnauthenticated)
}

// Whoever shares an address with a guesser (a NAT, the proxy in front
// of the API) is not locked out with it: a valid token is served while
// the address is refused further guesses, or eleven bogus requests
// would cut every responder off the kill switch during an incident.
func TestAValidTokenIsServedWhileItsAddressIsRateLimited(t *testing.T) {
	e := newEnv(t)
	good := e.token(api.Viewer, store.TokenScopes{})
	bad := api.SecretPrefix + "guess"
	for range 11 {
		e.do(http.MethodGet, "/v1/principals", bad, nil)
	}
	e.do(http.MethodGet, "/v1/principals", bad, nil).
		problem(t, http.StatusTooManyRequests, api.ProblemCodeRateLimited)
	e.get("/v1/principals", good, http.StatusOK, nil)
	e.do(http.MethodGet, "/v1/principals", "", nil).
		problem(t, http.StatusTooManyRequests, api.ProblemCodeRateLimited)
}

func TestRolesIncludeTheOnesBeforeThem(t *testing.T) {
	cases := []struct {
		have, need api.Role
		can        bool
	}{
		{api.Viewer, api.Viewer, true},
		{api.Viewer, api.Responder, false},
		{api.Responder, api.Viewer, true},
		{api.PolicyAdmin, api.Responder, true},
		{api.PolicyAdmin, api.Admin, false},
		{api.Admin, api.PolicyAdmin, true},
		{"root", api.Viewer, false},
		{api.Admin, "root", false},
		{api.Ingest, api.Ingest, true},
		{api.Admin, api.Ingest, true},
		{api.PolicyAdmin, api.Ingest, false},
		{api.Responder, api.Ingest, false},
		{api.Viewer, api.Ingest, false},
		{api.Ingest, api.Viewer, false},
		{api.Ingest, api.Responder, false},
		{api.Ingest, api.Admin, false},
	}
	for _, c := range cases {
		got := api.Caller{Role: c.have}.Can(c.need)
		if got != c.can {
			t.Errorf("%s can %s = %v, want %v", c.have, c.need, got, c.can)
		}
	}
}

func TestScopesNarrowByPrincipalKindAndProvider(t *testing.T) {
	c := api.Caller{Role: api.Viewer, Scopes: store.TokenScopes{
		PrincipalKinds: []store.PrincipalKind{store.KindServiceAccount},
		Providers:      []string{"vault"}}}
	cases := []struct {
		kind     store.PrincipalKind
		provider string
		in       bool
	}{
		{store.KindServiceAccount, "vault", true},
		{store.KindServiceAccount, "", true},
		{store.KindHuman, "vault", false},
		{store.KindServiceAccount, "okta", false},
		{"", "vault", true},
	}
	for _, tc := range cases {
		if got := c.InScope(tc.kind, tc.provider); got != tc.in {
			t.Errorf("InScope(%q, %q) = %v, want %v", tc.kind,
				tc.provider, got, tc.in)
		}
	}
	if !(api.Caller{}).InScope(store.KindHuman, "okta") {
		t.Error("a caller without scopes is not in scope everywhere")
	}
}

func TestAViewerCannotWriteAndAnAdminCan(t *testing.T) {
	e := newEnv(t)
	viewer := e.token(api.Viewer, store.TokenScopes{})
	admin := e.token(api.Admin, store.TokenScopes{})
	req := api.TokenRequest{Name: "ci", Role: api.Responder}

	e.do(http.MethodPost, "/v1/tokens", viewer, req).
		problem(t, http.StatusForbidden, api.ProblemCodeForbidden)
	if got := e.audit("api.forbidden"); len(got) != 1 ||
		!strings.HasPrefix(got[0].Actor, "token:viewer token") {
		t.Fatalf("refusal audited as %+v", got)
	}

	var created api.CreatedToken
	e.do(http.MethodPost, "/v1/tokens", admin, req).
		want(t, http.StatusCreated, &created)
	if !strings.HasPrefix(created.Secret, api.SecretPrefix) ||
		created.Token.Role != api.Responder {
		t.Fatalf("created %+v", created.Token)
	}
	e.get("/v1/sessions", created.Secret, http.StatusOK, nil)

	writes := e.audit("api.write")
	made := e.audit("token.created")
	if len(writes) != 1 || len(made) != 1 ||
		!strings.HasPrefix(made[0].Actor, "token:admin token") ||
		made[0].Subject != "token:"+created.Token.ID {
		t.Fatalf("writes audited %+v, creations %+v", writes, made)
	}
	e.noSecret(created.Secret)
}

func TestTokensAreListedWithoutSecretsAndRevoked(t *testing.T) {
	e := newEnv(t)
	admin := e.token(api.Admin, store.TokenScopes{})
	other := e.token(api.Viewer, store.TokenScopes{})
	r := e.get("/v1/tokens", admin, http.StatusOK, nil)
	for _, s := range []string{admin, other, api.HashSecret(other)} {
		if strings.Contains(string(r.body), s) {
			t.Fatalf("token list shows a secret or its hash: %s", r.body)
		}
	}
	var list struct{ Items []api.Token }
	r.want(t, http.StatusOK, &list)

	var tok api.Token
	e.do(http.MethodPost, "/v1/tokens/"+list.Items[1].ID+"/revoke", admin,
		nil).want(t, http.StatusOK, &tok)
	if tok.RevokedAt.IsZero() || !strings.HasPrefix(tok.RevokedBy, "token:") {
		t.Fatalf("revoked token %+v", tok)
	}
	e.do(http.MethodGet, "/v1/principals", other, nil).
		problem(t, http.StatusUnauthorized, api.ProblemCodeTokenRevoked)
	e.do(http.MethodPost, "/v1/tokens/tok_nope/revoke", admin, nil).
		problem(t, http.StatusNotFound, api.ProblemCodeNotFound)
}

func TestATokenCannotGrantMoreThanItHas(t *testing.T) {
	e := newEnv(t)
	scoped := e.token(api.Admin, store.TokenScopes{
		PrincipalKinds: []store.PrincipalKind{store.KindAgent}})
	cases := []struct {
		name  string
		req   api.TokenRequest
		field string
	}{
		{"Without scopes it would reach every kind",
			api.TokenRequest{Name: "x", Role: api.Viewer}, "scopes.principal_kinds"},
		{"With another kind it would reach that kind", api.TokenRequest{
			Name: "x", Role: api.Viewer, Scopes: api.TokenScopes{
				PrincipalKinds: []api.PrincipalKind{api.PrincipalKindHuman}}},
			"scopes.principal_kinds"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := e.do(http.MethodPost, "/v1/tokens", scoped, c.req).
				problem(t, http.StatusForbidden, api.ProblemCodeForbidden)
			if p.Parameter != c.field {
				t.Errorf("problem names %q, want %q", p.Parameter, c.field)
			}
		})
	}
	ok := api.TokenRequest{Name: "x", Role: api.Viewer, Scopes: api.TokenScopes{
		PrincipalKinds: []api.PrincipalKind{api.PrincipalKindAgent}}}
	e.do(http.MethodPost, "/v1/tokens", scoped, ok).
		want(t, http.StatusCreated, nil)
}

func TestABadTokenRequestNamesTheField(t *testing.T) {
	e := newEnv(t)
	admin := e.token(api.Admin, store.TokenScopes{})
	cases := []struct {
		name  string
		body  any
		field string
		value string
	}{
		{"An unknown role", map[string]any{"name": "x", "role": "root"},
			"role", "root"},
		{"No name", map[string]any{"role": "viewer"}, "name", ""},
		{"An unknown principal kind", map[string]any{"name": "x",
			"role": "viewer", "scopes": map[string]any{
				"principal_kinds": []string{"robot"}}},
			"scopes.principal_kinds", "robot"},
		{"An expiry in the past", map[string]any{"name": "x",
			"role": "viewer", "expires_at": "2020-01-01T00:00:00Z"},
			"expires_at", "2020-01-01T00:00:00Z"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := e.do(http.MethodPost, "/v1/tokens", admin, c.body).
				problem(t, http.StatusBadRequest, api.ProblemCodeInvalidBody)
			if p.Parameter != c.field || p.Value != c.value {
				t.Errorf("problem names %q=%q, want %q=%q", p.Parameter,
					p.Value, c.field, c.value)
			}
		})
	}
	e.do(http.MethodPost, "/v1/tokens", admin, "not an object").
		problem(t, http.StatusBadRequest, api.ProblemCodeInvalidBody)
}

func TestWithMTLSARequestWithoutAClientCertificateIsRefused(t *testing.T) {
	e := newEnvWith(t, func(c *api.Config) { c.RequireClientCert = true })
	viewer := e.token(api.Viewer, store.TokenScopes{})
	p := e.do(http.MethodGet, "/v1/principals", viewer, nil).
		problem(t, http.StatusUnauthorized, api.ProblemCodeUnauthenticated)
	if !strings.Contains(p.Detail, "client certificate") {
		t.Errorf("detail %q does not say a client certificate is needed", p.Detail)
	}
	got := e.audit("api.auth_failed")
	if len(got) != 1 || !strings.Contains(string(got[0].Details),
		"no client certificate") {
		t.Fatalf("audited %+v", got)
	}
	e.noSecret(viewer)
}

// A responder who pasted a token, whole or cut short, is told that the
// token failed, not asked to send one.
func TestAnUnknownTokenIsToldApartFromNone(t *testing.T) {
	e := newEnv(t)
	cut := api.SecretPrefix + "cut-short"
	p := e.do(http.MethodGet, "/v1/principals", cut, nil).
		problem(t, http.StatusUnauthorized, api.ProblemCodeUnauthenticated)
	for _, want := range []string{"no API token has the secret sent",
		api.Fingerprint(cut), "ks_ included"} {
		if !strings.Contains(p.Detail, want) {
			t.Errorf("detail %q does not say %q", p.Detail, want)
		}
	}
	if strings.Contains(p.Detail, cut) {
		t.Errorf("detail %q holds the token", p.Detail)
	}
	p = e.do(http.MethodGet, "/v1/principals", "", nil).
		problem(t, http.StatusUnauthorized, api.ProblemCodeUnauthenticated)
	if !strings.HasPrefix(p.Detail, "send an API token as") {
		t.Errorf("with no token, detail %q", p.Detail)
	}
}
