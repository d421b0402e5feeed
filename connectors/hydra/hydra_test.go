package hydra

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/peertest"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
	"github.com/killswitch-dev/killswitch/store"
)

// rig is a real Hydra where subject sub-ada holds tokens at two
// clients.
type rig struct {
	h       *peertest.Hydra
	c       *Connector
	clients []peertest.Client
	tokens  []peertest.Tokens
}

func newRig(t *testing.T) *rig {
	t.Helper()
	h := peertest.StartHydra(t)
	r := &rig{h: h, c: connect(t, h.AdminURL, 0)}
	for _, name := range []string{"app-one", "app-two"} {
		cl := h.CreateClient(t, name)
		r.clients = append(r.clients, cl)
		r.tokens = append(r.tokens, h.Grant(t, cl, "sub-ada"))
	}
	return r
}

func connect(t *testing.T, base string, pageSize int) *Connector {
	t.Helper()
	c, err := New("hydra", "hydra", Config{HTTP: restclient.Config{BaseURL: base},
		PageSize: pageSize}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var ada = store.Principal{ID: "ada", Kind: store.KindHuman}

func subject(sub string) []store.Alias {
	return []store.Alias{{Type: "oauth_subject", Value: sub, PrincipalID: "ada"}}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestListingFindsTheSubjectsGrants(t *testing.T) {
	r := newRig(t)
	l, err := r.c.List(ctx(t), ada, subject("sub-ada"))
	if err != nil {
		t.Fatal(err)
	}
	if !l.SessionsListed || len(l.Sessions) != 2 {
		t.Fatalf("listing %+v, want both grants", l)
	}
	clients := map[string]bool{}
	for _, s := range l.Sessions {
		clients[s.ExternalID] = true
		if s.CreatedAt.IsZero() || s.Effect != store.EffectImmediate ||
			s.Kind != "token" || s.Origin.App == "" {
			t.Fatalf("grant %+v lacks its time, effect, kind or app", s)
		}
	}
	if !clients[r.clients[0].ID] || !clients[r.clients[1].ID] {
		t.Fatalf("listed clients %v, want %s and %s", clients,
			r.clients[0].ID, r.clients[1].ID)
	}
}

func TestRevokingAtTheRealHydra(t *testing.T) {
	cases := []struct {
		name   string
		req    func(r *rig) connectors.Request
		killed []bool
	}{
		{"Revoking one grant kills the tokens of that client only",
			func(r *rig) connectors.Request {
				return connectors.Request{Op: connectors.OpRevokeSession,
					Principal: ada, Aliases: subject("sub-ada"),
					Session: &store.Session{ExternalID: r.clients[0].ID}}
			}, []bool{true, false}},
		{"Revoking every grant of the subject kills every token",
			func(*rig) connectors.Request {
				return connectors.Request{Op: connectors.OpRevokeSession,
					Principal: ada, Aliases: subject("sub-ada"),
					Session: &store.Session{}}
			}, []bool{true, true}},
		{"Disabling the principal kills every token",
			func(*rig) connectors.Request {
				return connectors.Request{Op: connectors.OpDisablePrincipal,
					Principal: ada, Aliases: subject("sub-ada")}
			}, []bool{true, true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			req := tc.req(r)
			first, second := r.c.Revoke(ctx(t), req), r.c.Revoke(ctx(t), req)
			if !first.Succeeded() || !second.Succeeded() {
				t.Fatalf("first %s, second %s; want both to succeed", first, second)
			}
			for i, killed := range tc.killed {
				r.wantActive(t, i, !killed)
			}
			if v := r.c.Verify(ctx(t), req); v.Check != connectors.Confirmed {
				t.Fatalf("verification %+v, want confirmed", v)
			}
		})
	}
}

// wantActive checks through introspection that both tokens of client i
// are active, or both are not.
func (r *rig) wantActive(t *testing.T, i int, want bool) {
	t.Helper()
	tok := r.tokens[i]
	a, rf := r.h.Introspect(t, tok.Access), r.h.Introspect(t, tok.Refresh)
	if a != want || rf != want {
		t.Fatalf("client %d: access active %v, refresh active %v; want %v",
			i, a, rf, want)
	}
}

func TestRevokingAClientsTokens(t *testing.T) {
	r := newRig(t)
	req := connectors.Request{Op: connectors.OpRevokeCredential, Principal: ada,
		Credential: &store.Credential{Kind: "oauth_client",
			ExternalID: r.clients[0].ID}}
	if res := r.c.Revoke(ctx(t), req); !res.Succeeded() {
		t.Fatalf("revoke the client's tokens: %s", res)
	}
	if r.h.Introspect(t, r.tokens[0].Access) {
		t.Fatal("an access token of the client is still active")
	}
	if !r.h.Introspect(t, r.tokens[1].Access) {
		t.Fatal("an access token of another client was revoked")
	}
	if v := r.c.Verify(ctx(t), req); v.Check != connectors.Requested {
		t.Fatalf("verification %+v, want requested: Hydra lists no tokens", v)
	}
}

func TestAGrantStillHeldFailsVerification(t *testing.T) {
	r := newRig(t)
	v := r.c.Verify(ctx(t), connectors.Request{Op: connectors.OpRevokeSession,
		Principal: ada, Aliases: subject("sub-ada"),
		Session: &store.Session{ExternalID: r.clients[1].ID}})
	if v.Check != connectors.Failed || v.Evidence == "" {
		t.Fatalf("verification of a live grant %+v, want failed with evidence", v)
	}
}

func TestValidateIntrospectsWithoutUsingTheToken(t *testing.T) {
	r := newRig(t)
	v, err := r.c.Validate(ctx(t), r.tokens[0].Access)
	if err != nil || !v.Active || v.Subject != "sub-ada" ||
		!v.ExpiresAt.After(time.Now()) {
		t.Fatalf("validity of a live token %+v, %v; want active for sub-ada", v, err)
	}
	v, err = r.c.Validate(ctx(t), "ory_at_made-up.token")
	if err != nil || v.Active {
		t.Fatalf("validity of a made-up token %+v, %v; want inactive", v, err)
	}
}

func TestAPrincipalWithNoSubjectIsUnsupported(t *testing.T) {
	c := connect(t, "http://127.0.0.1:9", 0)
	req := connectors.Request{Op: connectors.OpRevokeSession, Principal: ada,
		Aliases: []store.Alias{{Type: "email", Value: "ada@example.com"}}}
	if res := c.Revoke(ctx(t), req); res.Outcome != connectors.Unsupported {
		t.Fatalf("got %s, want unsupported", res)
	}
	l, err := c.List(ctx(t), ada, req.Aliases)
	if err != nil || l.SessionsListed {
		t.Fatalf("listing %+v, %v; want nothing listed", l, err)
	}
}

func TestJWTAccessTokensTakeEffectAtExpiry(t *testing.T) {
	c, err := New("hydra", "hydra", Config{HTTP: restclient.Config{BaseURL: "http://127.0.0.1:9"},
		AccessTokens: "jwt"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if e := c.cfg.effect(); e != store.EffectAtExpiry {
		t.Fatalf("effect %q, want at_expiry", e)
	}
	if v := c.gone("app"); v.Check != connectors.Requested {
		t.Fatalf("verification %+v, want requested until the JWTs expire", v)
	}
	_, err = New("hydra", "hydra", Config{HTTP: restclient.Config{BaseURL: "http://127.0.0.1:9"},
		AccessTokens: "macaroon"}, nil)
	if err == nil || !containsAll(err.Error(), "access_tokens", "macaroon") {
		t.Fatalf("error %v, want one naming access_tokens and the value", err)
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
