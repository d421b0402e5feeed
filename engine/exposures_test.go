package engine

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/store"
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
