package vault

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/connectortest"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
	"github.com/killswitch-dev/killswitch/store"
)

const vaultToken = "hvs.killswitch-test-vault-token-0123456789"

func TestScenarios(t *testing.T) {
	connectortest.Run(t, func(t *testing.T) *connectortest.Fixture {
		f := newFakeVault(vaultToken)
		f.addToken("acc-alice", "hvs.alice-token", "", "service")
		return &connectortest.Fixture{
			Server: connectortest.NewServer(t, f),
			Secret: vaultToken,
			Connect: func(h restclient.Config, log *slog.Logger) (connectors.Connector, error) {
				return New("vault", "vault", Config{HTTP: h,
					Token: restclient.NewSecret(vaultToken)}, log)
			},
			Revoke:  tokenReq("acc-alice"),
			Effects: f.effects,
			TooMany: `{"errors":["request path \"auth/token/revoke-accessor\": ` +
				`rate limit quota exceeded"]}`,
			ServerError: `{"errors":["Vault is sealed"]}`,
			Unaddressable: []connectors.Request{{
				Op: connectors.OpRevokeCredential, Principal: alice,
				Credential: &store.Credential{Kind: "password",
					ExternalID: "x"}}},
		}
	})
}

var alice = store.Principal{ID: "alice", Kind: store.KindHuman}

func tokenReq(accessor string) connectors.Request {
	return credReq(KindToken, accessor)
}

func credReq(kind, id string) connectors.Request {
	return connectors.Request{Op: connectors.OpRevokeCredential,
		Principal: alice, Credential: &store.Credential{Kind: kind,
			ExternalID: id, Store: "vault"}}
}

// rig is a fake Vault holding alice's token with a child, a batch token
// and two leases under her LDAP login path.
func rig(t *testing.T) (*fakeVault, *Connector) {
	t.Helper()
	f := newFakeVault(vaultToken)
	f.addToken("acc-parent", "hvs.parent", "", "service")
	f.addToken("acc-child", "hvs.child", "acc-parent", "service")
	f.addToken("acc-batch", "hvb.batch", "", "batch")
	f.leases["auth/ldap/login/alice/l1"] = true
	f.leases["auth/ldap/login/alice/l2"] = true
	f.leases["auth/ldap/login/bob/l3"] = true
	srv := connectortest.NewServer(t, f)
	c, err := New("vault", "vault", Config{
		HTTP:  restclient.Config{BaseURL: srv.URL},
		Token: restclient.NewSecret(vaultToken)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return f, c
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestRevoke(t *testing.T) {
	cases := []struct {
		name string
		req  connectors.Request
		want connectors.Outcome
		gone []string
		kept []string
	}{
		{"Revoking a token by accessor revokes its children too",
			tokenReq("acc-parent"), connectors.Done,
			[]string{"acc-parent", "acc-child"}, nil},
		{"An accessor Vault does not know is already done",
			tokenReq("acc-nobody"), connectors.AlreadyDone, nil,
			[]string{"acc-parent"}},
		{"A refusal of a token Vault still has stays permanent",
			tokenReq("acc-batch"), connectors.Permanent, nil,
			[]string{"acc-batch"}},
		{"A lease is revoked", credReq(KindLease, "auth/ldap/login/alice/l1"),
			connectors.Done, nil, nil},
		{"A prefix under a login path is revoked",
			credReq(KindLeasePrefix, "auth/ldap/login/alice"),
			connectors.Done, nil, nil},
		{"A prefix as wide as auth/token/create is refused",
			credReq(KindLeasePrefix, "auth/token/create"),
			connectors.Permanent, nil, []string{"acc-parent"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, c := rig(t)
			if res := c.Revoke(ctx(t), tc.req); res.Outcome != tc.want {
				t.Fatalf("got %s, want %s", res, tc.want)
			}
			for _, a := range tc.gone {
				if f.has(a) {
					t.Errorf("token %s survived", a)
				}
			}
			for _, a := range tc.kept {
				if !f.has(a) {
					t.Errorf("token %s was revoked", a)
				}
			}
		})
	}
}

func TestPrefixRevocationStaysInItsLoginPath(t *testing.T) {
	f, c := rig(t)
	if res := c.Revoke(ctx(t), credReq(KindLeasePrefix,
		"auth/ldap/login/alice")); !res.Succeeded() {
		t.Fatal(res)
	}
	if len(f.leases) != 1 || !f.leases["auth/ldap/login/bob/l3"] {
		t.Fatalf("leases left %v, want bob's only", f.leases)
	}
}

func TestLoginPrefix(t *testing.T) {
	cases := []struct {
		prefix string
		ok     bool
	}{
		{"auth/ldap/login/alice", true},
		{"auth/userpass/login", true},
		{"/auth/oidc/login/alice/", true},
		{"auth/token/create", false},
		{"auth/token/login", false},
		{"auth/ldap", false},
		{"sys/", false},
		{"database/creds/readonly", false},
		{"auth/ldap/login/../../token/create", false},
		{"", false},
	}
	for _, tc := range cases {
		err := LoginPrefix(tc.prefix)
		if (err == nil) != tc.ok {
			t.Errorf("LoginPrefix(%q) = %v, want ok %v", tc.prefix, err, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), tc.prefix) {
			t.Errorf("error %q does not name the prefix", err)
		}
	}
}

func TestVerify(t *testing.T) {
	_, c := rig(t)
	cases := []struct {
		name string
		req  connectors.Request
		want connectors.Check
	}{
		{"A token Vault still has fails", tokenReq("acc-child"), connectors.Failed},
		{"A token Vault no longer has is confirmed", tokenReq("acc-gone"),
			connectors.Confirmed},
		{"A lease Vault still has fails",
			credReq(KindLease, "auth/ldap/login/bob/l3"), connectors.Failed},
		{"A lease Vault no longer has is confirmed",
			credReq(KindLease, "auth/ldap/login/x"), connectors.Confirmed},
		{"A prefix cannot be looked at", credReq(KindLeasePrefix,
			"auth/ldap/login/alice"), connectors.Requested},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if v := c.Verify(ctx(t), tc.req); v.Check != tc.want || v.Evidence == "" {
				t.Fatalf("verification %+v, want %s with evidence", v, tc.want)
			}
		})
	}
}

func TestListLooksTokensUpByAccessor(t *testing.T) {
	_, c := rig(t)
	aliases := []store.Alias{{Type: AccessorAlias, Value: "acc-parent"},
		{Type: AccessorAlias, Value: "acc-revoked-long-ago"},
		{Type: "email", Value: "alice@example.com"}}
	l, err := c.List(ctx(t), alice, aliases)
	if err != nil {
		t.Fatal(err)
	}
	if !l.CredentialsListed || len(l.Credentials) != 1 {
		t.Fatalf("listing %+v, want the one token Vault still has", l)
	}
	cr := l.Credentials[0]
	if cr.ExternalID != "acc-parent" || cr.Kind != KindToken ||
		cr.CreatedAt.IsZero() || !cr.ExpiresAt.After(time.Now()) ||
		cr.Effect != store.EffectImmediate {
		t.Fatalf("credential %+v lacks its accessor, kind, times or effect", cr)
	}
	l, err = c.List(ctx(t), alice, aliases[2:])
	if err != nil || l.CredentialsListed {
		t.Fatalf("listing without accessors %+v, %v; want nothing listed", l, err)
	}
}

func TestValidateByStatusNotWords(t *testing.T) {
	_, c := rig(t)
	v, err := c.Validate(ctx(t), "hvs.parent")
	if err != nil || !v.Active || v.ExpiresAt.IsZero() {
		t.Fatalf("a live token: %+v, %v; want active with an expiry", v, err)
	}
	v, err = c.Validate(ctx(t), "hvs.unknown-token-value")
	if err != nil || v.Active {
		t.Fatalf("an unknown token: %+v, %v; want inactive (403)", v, err)
	}
}

func TestConfigNeedsAToken(t *testing.T) {
	_, err := New("vault", "vault", Config{
		HTTP: restclient.Config{BaseURL: "http://127.0.0.1:8200"}}, nil)
	if err == nil || !strings.Contains(err.Error(), "token") {
		t.Fatalf("error %v, want one naming token", err)
	}
}
