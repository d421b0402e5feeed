package awsiam

import (
	"errors"
	"strings"
	"testing"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/connectortest"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
	"github.com/killswitch-dev/killswitch/store"
)

func accessKey(id string) store.Credential {
	return store.Credential{ID: "cred-" + id, Kind: KindAccessKey,
		ExternalID: id}
}

func TestCheckCredentialReadsTheKeysStatusFromIAM(t *testing.T) {
	cases := []struct {
		name, key string
		active    bool
	}{
		{"an active key is valid", "AKIAALICEACTIVE00001", true},
		{"an inactive key is not", "AKIAALICEINACTIVE001", false},
		{"a key IAM no longer has is not", "AKIAALICEGONE0000001", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, c := rig(t, "")
			v, err := c.CheckCredential(ctx(t), accessKey(tc.key))
			if err != nil || v.Active != tc.active {
				t.Fatalf("CheckCredential = %+v, %v; want active %v",
					v, err, tc.active)
			}
			if tc.active && v.Subject != "alice" {
				t.Fatalf("subject %q, want the key's user alice", v.Subject)
			}
			if f.effects() != 0 {
				t.Fatal("checking a key changed it")
			}
		})
	}
}

func TestCheckCredentialAfterARevocationIsInactive(t *testing.T) {
	_, c := rig(t, "deactivate")
	if res := c.Revoke(ctx(t), keyReq("AKIAALICEACTIVE00001")); res.Outcome != connectors.Done {
		t.Fatal(res)
	}
	v, err := c.CheckCredential(ctx(t), accessKey("AKIAALICEACTIVE00001"))
	if err != nil || v.Active {
		t.Fatalf("CheckCredential = %+v, %v; want inactive", v, err)
	}
}

func TestCheckCredentialOfAnotherKindIsUnknown(t *testing.T) {
	_, c := rig(t, "")
	_, err := c.CheckCredential(ctx(t), store.Credential{ID: "pw",
		Kind: "password"})
	if !errors.Is(err, connectors.ErrValidityUnknown) {
		t.Fatalf("err = %v, want ErrValidityUnknown", err)
	}
}

func TestCheckCredentialFailureNamesNoSecret(t *testing.T) {
	f := newFakeIAM(testCreds)
	srv := connectortest.NewServer(t, f)
	log, logs := connectortest.Logger()
	c, err := connect(srv.URL, restclient.Config{Retry: restclient.RetryConfig{Attempts: 1}}, log)
	if err != nil {
		t.Fatal(err)
	}
	srv.Storm(connectortest.Fault{Status: 500,
		Body: errorXML("ServiceFailure", "Request processing has failed")})
	_, err = c.CheckCredential(ctx(t), accessKey("AKIAALICEACTIVE00001"))
	if err == nil || errors.Is(err, connectors.ErrValidityUnknown) {
		t.Fatalf("err = %v, want a failure", err)
	}
	for _, secret := range []string{testCreds.SessionToken,
		testCreds.SecretAccessKey} {
		if strings.Contains(err.Error(), secret) ||
			strings.Contains(logs.String(), secret) {
			t.Fatalf("a secret is in the error or the log: %v", err)
		}
	}
}
