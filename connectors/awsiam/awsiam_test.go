package awsiam

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/connectortest"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
	"github.com/killswitch-dev/killswitch/store"
)

// testCreds are the connector's own credentials; the session token is
// the one secret that travels (X-Amz-Security-Token), the secret key
// only signs.
var testCreds = aws.Credentials{AccessKeyID: "AKIAKILLSWITCHTEST01",
	SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYKILLSWITCH",
	SessionToken:    "IQoJb3JpZ2luX2VjEKillswitchTestSessionToken0123456789"}

func connect(base string, hc restclient.Config, log *slog.Logger) (*Connector, error) {
	hc.BaseURL = base
	return New("aws-prod", "aws", Config{HTTP: hc,
		AccessKeyID:     testCreds.AccessKeyID,
		SecretAccessKey: restclient.NewSecret(testCreds.SecretAccessKey),
		SessionToken:    restclient.NewSecret(testCreds.SessionToken)}, log)
}

var alice = store.Principal{ID: "alice", Kind: store.KindHuman}

// aliceARN names alice's IAM user the way the demo inventory does.
var aliceARN = []store.Alias{{Type: "arn",
	Value: "arn:aws:iam::111122223333:user/engineering/alice"}}

func keyReq(id string) connectors.Request {
	return connectors.Request{Op: connectors.OpRevokeCredential,
		Principal: alice, Aliases: aliceARN,
		Credential: &store.Credential{Kind: KindAccessKey, ExternalID: id}}
}

func TestScenarios(t *testing.T) {
	connectortest.Run(t, func(t *testing.T) *connectortest.Fixture {
		f := newFakeIAM(testCreds)
		f.perPage = 3
		f.addKey("alice", "AKIAALICE00000000001", "Active")
		return &connectortest.Fixture{
			Server: connectortest.NewServer(t, f),
			Secret: testCreds.SessionToken,
			Connect: func(h restclient.Config, log *slog.Logger) (connectors.Connector, error) {
				return connect(h.BaseURL, h, log)
			},
			Revoke:      keyReq("AKIAALICE00000000001"),
			Effects:     f.effects,
			ServerError: errorXML("ServiceFailure", "Request processing has failed"),
			Throttle: func(time.Time) (connectortest.Fault, time.Time) {
				return connectortest.Fault{Status: http.StatusBadRequest,
					Body: errorXML("Throttling", "Rate exceeded")}, time.Time{}
			},
			Unaddressable: []connectors.Request{{
				Op: connectors.OpRevokeCredential, Principal: alice,
				Aliases: []store.Alias{{Type: "email", Value: "a@example.com"}},
				Credential: &store.Credential{Kind: KindAccessKey,
					ExternalID: "AKIAALICE00000000001"}}},
			Paging: &connectortest.Paging{
				Seed: func(n int) {
					for i := range n - 1 {
						f.addKey("alice", "AKIAALICEPAGE0000"+string(rune('A'+i)), "Active")
					}
				},
				List: func(ctx context.Context, c connectors.Connector) (int, error) {
					l, err := c.(connectors.Lister).List(ctx, alice, aliceARN)
					return len(l.Credentials), err
				},
			},
		}
	})
}

// rig is a fake IAM where alice has an active and an inactive key.
func rig(t *testing.T, mode string) (*fakeIAM, *Connector) {
	t.Helper()
	f := newFakeIAM(testCreds)
	f.addKey("alice", "AKIAALICEACTIVE00001", "Active")
	f.addKey("alice", "AKIAALICEINACTIVE001", "Inactive")
	srv := connectortest.NewServer(t, f)
	c, err := New("aws-prod", "aws", Config{
		HTTP:            restclient.Config{BaseURL: srv.URL},
		AccessKeyID:     testCreds.AccessKeyID,
		SecretAccessKey: restclient.NewSecret(testCreds.SecretAccessKey),
		Revoke:          mode}, nil)
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
		name, mode string
		req        connectors.Request
		want       connectors.Outcome
		status     string
	}{
		{"Deactivating a key makes it inactive", "deactivate",
			keyReq("AKIAALICEACTIVE00001"), connectors.Done, "Inactive"},
		{"Deleting a key removes it", "delete",
			keyReq("AKIAALICEACTIVE00001"), connectors.Done, "deleted"},
		{"A key IAM no longer has is already done", "delete",
			keyReq("AKIAALICEGONE0000001"), connectors.AlreadyDone, "deleted"},
		{"A user IAM does not know is permanent, not done", "deactivate",
			connectors.Request{Op: connectors.OpRevokeCredential,
				Principal: alice, Aliases: []store.Alias{{Type: "aws_user",
					Value: "nobody"}}, Credential: &store.Credential{
					Kind: KindAccessKey, ExternalID: "AKIAALICEACTIVE00001"}},
			connectors.Permanent, "Active"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, c := rig(t, tc.mode)
			res := c.Revoke(ctx(t), tc.req)
			if res.Outcome != tc.want {
				t.Fatalf("got %s, want %s", res, tc.want)
			}
			got := f.status("alice", "AKIAALICEACTIVE00001")
			if tc.want != connectors.AlreadyDone && got != tc.status {
				t.Fatalf("key status %s, want %s", got, tc.status)
			}
		})
	}
}

func TestListGivesActiveKeysWithLastUse(t *testing.T) {
	_, c := rig(t, "")
	l, err := c.List(ctx(t), alice, aliceARN)
	if err != nil {
		t.Fatal(err)
	}
	if !l.CredentialsListed || len(l.Credentials) != 1 {
		t.Fatalf("listing %+v, want the one active key", l)
	}
	k := l.Credentials[0]
	if k.ExternalID != "AKIAALICEACTIVE00001" || k.CreatedAt.IsZero() ||
		k.LastUsedAt.IsZero() || k.Effect != store.EffectEventual {
		t.Fatalf("key %+v lacks its id, created, last used or effect", k)
	}
	l, err = c.List(ctx(t), alice, []store.Alias{{Type: "aws_user", Value: "nobody"}})
	if err != nil || l.CredentialsListed {
		t.Fatalf("listing an unknown user %+v, %v; want nothing listed", l, err)
	}
}

func TestVerify(t *testing.T) {
	_, c := rig(t, "")
	cases := []struct {
		name string
		key  string
		want connectors.Check
	}{
		{"An inactive key is confirmed", "AKIAALICEINACTIVE001", connectors.Confirmed},
		{"A deleted key is confirmed", "AKIAALICEGONE0000001", connectors.Confirmed},
		{"A key still active is requested: IAM is eventually consistent",
			"AKIAALICEACTIVE00001", connectors.Requested},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if v := c.Verify(ctx(t), keyReq(tc.key)); v.Check != tc.want {
				t.Fatalf("verification %+v, want %s", v, tc.want)
			}
		})
	}
}

func TestABadSignatureIsRefused(t *testing.T) {
	f := newFakeIAM(testCreds)
	f.addKey("alice", "AKIAALICEACTIVE00001", "Active")
	srv := connectortest.NewServer(t, f)
	c, err := New("aws-prod", "aws", Config{
		HTTP:            restclient.Config{BaseURL: srv.URL},
		AccessKeyID:     testCreds.AccessKeyID,
		SecretAccessKey: restclient.NewSecret("not-the-secret-key")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res := c.Revoke(ctx(t), keyReq("AKIAALICEACTIVE00001"))
	if res.Outcome != connectors.Permanent ||
		!strings.Contains(res.Err.Error(), "SignatureDoesNotMatch") {
		t.Fatalf("got %s, want permanent SignatureDoesNotMatch", res)
	}
	if strings.Contains(res.Err.Error(), "not-the-secret-key") {
		t.Fatal("the secret key is in the error")
	}
}

func TestConfigNamesTheBadField(t *testing.T) {
	cases := []struct {
		cfg   Config
		field string
	}{
		{Config{SecretAccessKey: restclient.NewSecret("s")}, "access_key_id"},
		{Config{AccessKeyID: "AKIA1"}, "secret_access_key"},
		{Config{AccessKeyID: "AKIA1", SecretAccessKey: restclient.NewSecret("s"),
			Revoke: "shred"}, "revoke"},
	}
	for _, tc := range cases {
		_, err := New("aws", "aws", tc.cfg, nil)
		if err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("config %+v: error %v, want one naming %s", tc.cfg, err, tc.field)
		}
	}
}
