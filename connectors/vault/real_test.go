package vault

import (
	"testing"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/peertest"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
)

// Against a real Vault dev server, when one is built (opt-in; see
// peertest.StartVault): revoking a parent by accessor revokes its child,
// the lookups that verify and validate see both gone, and a second
// revocation is already done.
func TestAgainstRealVault(t *testing.T) {
	v := peertest.StartVault(t)
	parent, parentAcc := v.CreateToken(t, v.RootToken)
	child, childAcc := v.CreateToken(t, parent)
	c, err := New("vault", "vault", Config{
		HTTP:  restclient.Config{BaseURL: v.URL},
		Token: restclient.NewSecret(v.RootToken)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res := c.Revoke(ctx(t), tokenReq(parentAcc)); res.Outcome != connectors.Done {
		t.Fatalf("revoke the parent: %s, want done", res)
	}
	if res := c.Revoke(ctx(t), tokenReq(parentAcc)); res.Outcome != connectors.AlreadyDone {
		t.Fatalf("revoke the parent again: %s, want already done", res)
	}
	for _, acc := range []string{parentAcc, childAcc} {
		if ch := c.Verify(ctx(t), tokenReq(acc)); ch.Check != connectors.Confirmed {
			t.Fatalf("verify %s: %+v, want confirmed", acc, ch)
		}
	}
	for _, tok := range []string{parent, child} {
		if val, err := c.Validate(ctx(t), tok); err != nil || val.Active {
			t.Fatalf("validate a revoked token: %+v, %v; want inactive", val, err)
		}
	}
}
