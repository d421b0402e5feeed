package entra

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

func clientSecret(externalID string) store.Credential {
	return store.Credential{ID: "c1", Kind: "client_secret",
		ExternalID: externalID}
}

func TestCheckCredentialReadsTheSecretsEndDate(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	ended, ends := now.Add(-24*time.Hour), now.Add(365*24*time.Hour)
	cases := []struct {
		name, id string
		active   bool
		expires  time.Time
	}{
		{"a listed secret before its end date is valid", "sp1/k1", true,
			ends},
		{"a listed secret past its end date is not", "sp1/k-ended", false,
			ended},
		{"a removed secret is not", "sp1/k-removed", false, time.Time{}},
		{"a secret of a deleted service principal is not", "sp-gone/k1",
			false, time.Time{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, srv := setup(t)
			f.sps["sp1"].Passwords[0].End = ends
			f.sps["sp1"].Passwords = append(f.sps["sp1"].Passwords,
				passwordCredential{KeyID: "k-ended", End: ended})
			c, err := connect(srv, restclient.Config{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			v, err := c.CheckCredential(t.Context(), clientSecret(tc.id))
			if err != nil || v.Active != tc.active ||
				!v.ExpiresAt.Equal(tc.expires) {
				t.Fatalf("CheckCredential = %+v, %v; want active %v, "+
					"expires %v", v, err, tc.active, tc.expires)
			}
			if f.count() != 0 {
				t.Fatal("checking a secret changed something")
			}
		})
	}
}

func TestCheckCredentialWithoutItsServicePrincipalIsUnknown(t *testing.T) {
	_, srv := setup(t)
	c, err := connect(srv, restclient.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, cr := range []store.Credential{clientSecret("k1"),
		{ID: "cert", Kind: "certificate", ExternalID: "sp1/k1"}} {
		_, err := c.CheckCredential(t.Context(), cr)
		if !errors.Is(err, connectors.ErrValidityUnknown) {
			t.Errorf("%+v: err = %v, want ErrValidityUnknown", cr, err)
		}
	}
}

func TestCheckCredentialFailureNamesNoToken(t *testing.T) {
	_, srv := setup(t)
	log, logs := connectortest.Logger()
	c, err := connect(srv, restclient.Config{
		Retry: restclient.RetryConfig{Attempts: 1}}, log)
	if err != nil {
		t.Fatal(err)
	}
	srv.Storm(connectortest.Fault{Status: 503, Echo: true,
		Body: `{"error":{"code":"serviceNotAvailable","message":"{{headers}}"}}`})
	_, err = c.CheckCredential(t.Context(), clientSecret("sp1/k1"))
	if err == nil || errors.Is(err, connectors.ErrValidityUnknown) {
		t.Fatalf("err = %v, want a failure", err)
	}
	if strings.Contains(err.Error(), testToken) ||
		strings.Contains(logs.String(), testToken) {
		t.Fatalf("the token is in the error or the log: %v", err)
	}
}
