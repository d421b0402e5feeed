package vault

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/connectortest"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
	"github.com/killswitch-dev/killswitch/store"
)

func token(accessor string) store.Credential {
	return store.Credential{ID: "cred-" + accessor, Kind: KindToken,
		ExternalID: accessor, Store: "vault"}
}

func TestCheckCredentialLooksTheTokenUpByItsAccessor(t *testing.T) {
	f, c := rig(t)
	v, err := c.CheckCredential(ctx(t), token("acc-parent"))
	if err != nil || !v.Active || !v.ExpiresAt.After(time.Now()) {
		t.Fatalf("CheckCredential = %+v, %v; want active with its expiry", v, err)
	}
	if res := c.Revoke(ctx(t), tokenReq("acc-parent")); res.Outcome != connectors.Done {
		t.Fatal(res)
	}
	for _, acc := range []string{"acc-parent", "acc-child", "acc-never"} {
		v, err := c.CheckCredential(ctx(t), token(acc))
		if err != nil || v.Active {
			t.Errorf("%s after the revocation: %+v, %v; want inactive", acc, v, err)
		}
	}
	if f.effects() != 2 {
		t.Fatalf("%d tokens revoked at Vault, want the parent and its "+
			"child only: checks change nothing", f.effects())
	}
}

func TestCheckCredentialOfALeaseIsUnknown(t *testing.T) {
	_, c := rig(t)
	_, err := c.CheckCredential(ctx(t), store.Credential{ID: "l",
		Kind: KindLease, ExternalID: "auth/ldap/login/alice/l1"})
	if !errors.Is(err, connectors.ErrValidityUnknown) {
		t.Fatalf("err = %v, want ErrValidityUnknown", err)
	}
}

// wrongToken is a connector whose own token Vault refuses (403), in
// front of a Vault that has alice's token acc-parent.
func wrongToken(t *testing.T) (*Connector, *connectortest.LogBuffer) {
	t.Helper()
	f := newFakeVault(vaultToken)
	f.addToken("acc-parent", "hvs.parent", "", "service")
	srv := connectortest.NewServer(t, f)
	log, logs := connectortest.Logger()
	c, err := New("vault", "vault", Config{
		HTTP:  restclient.Config{BaseURL: srv.URL},
		Token: restclient.NewSecret(wrongVaultToken)}, log)
	if err != nil {
		t.Fatal(err)
	}
	return c, logs
}

const wrongVaultToken = "hvs.wrong-token-for-this-vault"

// A 403 to the connector's own token says nothing about the token looked
// at: were it read as "gone", a wrong token would make every exposed
// token look dead, the sync end every token, and every revocation look
// done.
func TestARefusedConnectorTokenNeverReadsAsATokenGone(t *testing.T) {
	c, logs := wrongToken(t)
	_, err := c.CheckCredential(ctx(t), token("acc-parent"))
	if err == nil || errors.Is(err, connectors.ErrValidityUnknown) {
		t.Errorf("CheckCredential: %v, want a failure", err)
	}
	l, err := c.List(ctx(t), alice, []store.Alias{{Type: AccessorAlias,
		Value: "acc-parent"}})
	if err == nil {
		t.Errorf("List = %+v, want a failure, not a listing without the token", l)
	}
	if v := c.Verify(ctx(t), tokenReq("acc-parent")); v.Check == connectors.Confirmed {
		t.Errorf("Verify = %+v, want the revocation not confirmed", v)
	}
	if res := c.Revoke(ctx(t), tokenReq("acc-parent")); res.Outcome == connectors.AlreadyDone ||
		res.Outcome == connectors.Done {
		t.Errorf("Revoke = %s, want a failure", res)
	}
	if err != nil && strings.Contains(err.Error(), wrongVaultToken) ||
		strings.Contains(logs.String(), wrongVaultToken) {
		t.Fatalf("the token is in an error or the log")
	}
}
