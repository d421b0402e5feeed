package api_test

import (
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/api"
	"github.com/killswitch-dev/killswitch/store"
)

// A token makes no token that outlives it: a leaked admin token that
// expires in an hour must not mint one that never does.
func TestATokenCannotOutliveTheTokenThatMadeIt(t *testing.T) {
	e := newEnv(t)
	now := e.clock.Now()
	brief := e.tokenSpec(api.TokenSpec{Name: "brief", Role: api.Admin,
		CreatedBy: "test", CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
	for _, expires := range []any{nil, now.Add(2 * time.Hour)} {
		body := map[string]any{"name": "heir", "role": "viewer"}
		if expires != nil {
			body["expires_at"] = expires
		}
		p := e.do("POST", "/v1/tokens", brief, body).problem(t, 403,
			api.ProblemCodeForbidden)
		if p.Parameter != "expires_at" {
			t.Errorf("expires %v: problem names %q, want expires_at",
				expires, p.Parameter)
		}
	}
	e.do("POST", "/v1/tokens", brief, map[string]any{"name": "heir",
		"role": "viewer", "expires_at": now.Add(30 * time.Minute)}).
		want(t, 201, nil)
}

// A scoped admin lists and revokes only the tokens it could have made:
// it cannot see or revoke the tokens of the admins above it.
func TestAScopedAdminReachesOnlyTokensWithinItsScope(t *testing.T) {
	e := newEnv(t)
	root := e.token(api.Admin, store.TokenScopes{})
	bots := e.token(api.Admin, store.TokenScopes{
		PrincipalKinds: []store.PrincipalKind{store.KindServiceAccount}})
	rootTok, err := e.st.APITokenByHash(t.Context(), api.HashSecret(root))
	must(t, err)

	var list struct{ Items []api.Token }
	e.get("/v1/tokens", bots, 200, &list)
	for _, tok := range list.Items {
		if len(tok.Scopes.PrincipalKinds) == 0 {
			t.Errorf("a scoped admin lists the unscoped token %s", tok.ID)
		}
	}
	e.do("POST", "/v1/tokens/"+rootTok.ID+"/revoke", bots, nil).problem(t, 404,
		api.ProblemCodeNotFound)
	e.get("/v1/tokens", root, 200, &list)
	if len(list.Items) != 2 {
		t.Errorf("the unscoped admin lists %d tokens, want 2", len(list.Items))
	}
}

// A scope names real providers: an empty or blank one is refused, not
// kept as a scope that matches nothing the caller meant.
func TestATokenScopeWithABlankProviderIsRefused(t *testing.T) {
	e := newEnv(t)
	admin := e.token(api.Admin, store.TokenScopes{})
	for _, p := range []string{"", " ", "okta "} {
		got := e.do("POST", "/v1/tokens", admin, map[string]any{
			"name": "x", "role": "viewer", "scopes": map[string]any{
				"providers": []string{p}}}).problem(t, 400,
			api.ProblemCodeInvalidBody)
		if got.Parameter != "scopes.providers" || got.Value != p {
			t.Errorf("provider %q: problem names %s=%q", p, got.Parameter,
				got.Value)
		}
	}
}
