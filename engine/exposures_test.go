package engine

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/inventory"
	"github.com/killswitch-dev/killswitch/store/sqlite"
)

const gitHubAlert = "../testdata/alerts/03-github-secret-scanning-pat-created.json"

func exposurePipeline(st store.Store, now time.Time) *Pipeline {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return NewPipeline(st, reloadingEvaluator{}, Guardrails{},
		func() time.Time { return now }, log)
}

func TestAnExposureSignalIsRecordedInTheLedgerOfTheCredentialItNames(t *testing.T) {
	st := demoStore(t)
	out, err := exposurePipeline(st, time.Now()).Process(t.Context(),
		readFile(t, gitHubAlert))
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.ListExposures(t.Context(),
		store.ExposureFilter{CredentialID: "deploy-bot-pat"})
	if err != nil {
		t.Fatal(err)
	}
	want := store.ExposureRecord{Source: "github_secret_scanning",
		Where: "acme/payments-api", SignalID: out.SignalID,
		Validity: store.ValidityUnknown}
	if len(got) != 1 || got[0].Source != want.Source ||
		got[0].Where != want.Where || got[0].SignalID != want.SignalID ||
		got[0].Validity != want.Validity ||
		!got[0].FirstSeen.Equal(out.Signal.Time) {
		t.Fatalf("ledger = %+v, want one entry like %+v first seen at %v",
			got, want, out.Signal.Time)
	}
	c, err := st.GetCredential(t.Context(), "deploy-bot-pat")
	if err != nil {
		t.Fatal(err)
	}
	if c.Exposure == nil || !c.Exposure.At.Equal(out.Signal.Time) {
		t.Fatalf("credential exposure = %+v, want the signal's time", c.Exposure)
	}
}

func TestAnExposureOfAnUnknownSecretIsMatchedWhenTheCredentialArrives(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ks.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	out, err := exposurePipeline(st, time.Now()).Process(ctx,
		readFile(t, gitHubAlert))
	if err != nil {
		t.Fatal(err)
	}
	open, err := st.ListExposures(ctx, store.ExposureFilter{Unmatched: true})
	if err != nil || len(open) != 1 || open[0].Fingerprint == "" {
		t.Fatalf("unmatched = %+v, %v; want one entry naming the secret's hash",
			open, err)
	}
	if err := st.PutPrincipal(ctx, store.Principal{ID: "deploy-bot",
		Kind: store.KindServiceAccount}); err != nil {
		t.Fatal(err)
	}
	if err := st.PutCredential(ctx, store.Credential{ID: "pat",
		PrincipalID: "deploy-bot", Fingerprint: open[0].Fingerprint,
		CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	c, err := st.GetCredential(ctx, "pat")
	if err != nil {
		t.Fatal(err)
	}
	if c.Exposure == nil || !c.Exposure.At.Equal(out.Signal.Time) ||
		c.Exposure.Where != "acme/payments-api" {
		t.Fatalf("exposure = %+v, want the signal's, from the ledger", c.Exposure)
	}
}

// caseStore is the registry of the policy cases, as of their now.
func caseStore(t *testing.T) store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ks.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	inv, err := inventory.Load("../policies/cases/inventory/org.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inv.Import(ctx, st, caseNow); err != nil {
		t.Fatal(err)
	}
	return st
}

var caseNow = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func TestEveryExposureSignalIsRecordedOnTheCredentialItNames(t *testing.T) {
	cases := []struct {
		name, alert string
		// want is "credential source where validity", or none.
		want []string
	}{
		{"GitHub secret scanning names the token by its hash",
			"github-pat-created.json", []string{"deploy-bot-pat " +
				"github_secret_scanning acme/payments-api unknown"}},
		{"GitGuardian names the key by its own hash, a secret_hash alias",
			"gitguardian-openai-key-valid.json", []string{
				"support-agent-openai-key gitguardian - valid"}},
		{"a TruffleHog-style OCSF finding names the key by its id",
			"trufflehog-alice-aws-key.json", []string{
				"alice-aws-key ocsf/Case Detector - -"}},
		{"a RISC credential-compromise names the person's password",
			"risc-credential-compromise-alice.json", []string{
				"alice-password risc - -"}},
		{"a CAEP credential-change revoking a password names it, dead",
			"caep-password-revoked-alice.json", []string{
				"alice-password caep - invalid"}},
		{"a CAEP credential-change creating a credential is no exposure",
			"caep-fido2-created-alice.json", nil},
		{"a CAEP credential-change updating a password is no exposure",
			"caep-password-updated-alice.json", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := caseStore(t)
			out, err := exposurePipeline(st, caseNow).Process(t.Context(),
				readFile(t, "../policies/cases/alerts/"+c.alert))
			if err != nil {
				t.Fatal(err)
			}
			got, err := st.ListExposures(t.Context(), store.ExposureFilter{})
			if err != nil {
				t.Fatal(err)
			}
			var have []string
			for _, e := range got {
				have = append(have, fmt.Sprintf("%s %s %s %s", e.CredentialID,
					e.Source, orDash(e.Where), orDash(string(e.Validity))))
				if !e.FirstSeen.Equal(out.Signal.Time) ||
					e.SignalID != out.SignalID {
					t.Errorf("entry %+v: want first seen %v by signal %s",
						e, out.Signal.Time, out.SignalID)
				}
			}
			if !slices.Equal(have, c.want) {
				t.Fatalf("ledger = %q, want %q", have, c.want)
			}
		})
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func TestAnUnknownKeyOfAFindingIsMatchedWhenItsCredentialAliasArrives(t *testing.T) {
	st := caseStore(t)
	alert := strings.ReplaceAll(string(readFile(t,
		"../policies/cases/alerts/trufflehog-alice-aws-key.json")),
		"AKIAALICECASE0000001", "AKIAALICENEWKEY00001")
	_, err := exposurePipeline(st, caseNow).Process(t.Context(), []byte(alert))
	if err != nil {
		t.Fatal(err)
	}
	open, err := st.ListExposures(t.Context(), store.ExposureFilter{Unmatched: true})
	if err != nil || len(open) != 1 || open[0].KeyID != "AKIAALICENEWKEY00001" {
		t.Fatalf("unmatched = %+v, %v; want the new key's", open, err)
	}
	err = st.PutCredential(t.Context(), store.Credential{ID: "alice-new-key",
		PrincipalID: "alice", Kind: "access_key", Store: "aws",
		ExternalID: "AKIAALICENEWKEY00001", CreatedAt: caseNow})
	if err != nil {
		t.Fatal(err)
	}
	c, err := st.GetCredential(t.Context(), "alice-new-key")
	if err != nil || c.Exposure == nil || c.Exposure.Source != "ocsf/Case Detector" {
		t.Fatalf("alice-new-key = %+v, %v; want exposed by the finding", c, err)
	}
}
