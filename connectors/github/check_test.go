package github

import (
	"errors"
	"strings"
	"testing"

	"github.com/killswitch-dev/killswitch/connectors"
)

func TestCheckCredentialReadsGitHubsValidityOfTheAlert(t *testing.T) {
	f, srv, c := setup(t)
	cred := *exposed(leaked).Credential
	cases := []struct {
		name, validity string
		active         bool
		unknown        bool
	}{
		{"an active token is valid", "active", true, false},
		{"an inactive token is not", "inactive", false, false},
		{"an unknown verdict is ErrValidityUnknown", "unknown", false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f.mu.Lock()
			f.alerts["octo/app"][1].Validity = tc.validity
			f.mu.Unlock()
			v, err := c.CheckCredential(t.Context(), cred)
			if tc.unknown != errors.Is(err, connectors.ErrValidityUnknown) ||
				(!tc.unknown && err != nil) || v.Active != tc.active {
				t.Fatalf("CheckCredential = %+v, %v; want active %v",
					v, err, tc.active)
			}
		})
	}
	if srv.Saw(leaked) {
		t.Fatal("checking validity sent the secret to GitHub")
	}
}

func TestCheckCredentialOfARevokedAlertIsInactive(t *testing.T) {
	f, _, c := setup(t)
	f.alerts["octo/app"][1].State = "resolved"
	f.alerts["octo/app"][1].Resolution = "revoked"
	v, err := c.CheckCredential(t.Context(), *exposed(leaked).Credential)
	if err != nil || v.Active {
		t.Fatalf("CheckCredential = %+v, %v; want inactive", v, err)
	}
}

func TestCheckCredentialWithoutAnAlertIsAnErrorWithoutTheSecret(t *testing.T) {
	_, _, c := setup(t)
	cred := *exposed("ghp_notInAnyAlert000000000000000000000").Credential
	_, err := c.CheckCredential(t.Context(), cred)
	if err == nil || strings.Contains(err.Error(), "ghp_") {
		t.Fatalf("CheckCredential error = %v, want one naming no secret", err)
	}
}
