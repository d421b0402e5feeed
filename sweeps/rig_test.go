package sweeps

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/connectortest"
	"github.com/killswitch-dev/killswitch/connectors/github"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/policies"
	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/sqlite"
)

const (
	ghToken = "ghs_APItokenForTheFakeGitHub"
	leaked  = "ghp_LEAKEDtokenOfDeployBot0000000000000"
)

// rig is the sweeps over a SQLite registry, the shipped policies, the
// engine's pipeline and executor, and the real github connector against
// a fake GitHub.
type rig struct {
	store  store.Store
	clock  *fakeClock
	github *fakeGitHub
	runner *Runner
	logs   *connectortest.LogBuffer
}

func newRig(t *testing.T, now time.Time) *rig {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ks.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return newRigOn(t, st, newFakeClock(now), "test-instance")
}

// newRigOn builds a rig, an instance of killswitch, on st and clock.
func newRigOn(t *testing.T, st store.Store, clock *fakeClock, owner string) *rig {
	t.Helper()
	log, logs := connectortest.Logger()
	fake, srv := newFakeGitHub(t, ghToken)
	gh, err := github.New("github", "github", github.Config{
		HTTP:  restclient.Config{BaseURL: srv.URL},
		Token: restclient.NewSecret(ghToken)}, log)
	if err != nil {
		t.Fatal(err)
	}
	conns, err := connectors.NewSet(gh)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := rules.Load(context.Background(), policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{store: st, clock: clock, github: fake, logs: logs}
	r.runner = NewRunner(Deps{Store: st, Policies: ps,
		Pipeline: engine.NewPipeline(st, ps, engine.Guardrails{}, clock.Now, log),
		Executor: engine.NewExecutor(st, conns, nil,
			engine.ExecutorConfig{Owner: owner}, clock.Now, log),
		Connectors: conns, Clock: clock, Log: log}, owner)
	return r
}

func fingerprint(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// putDeployBot stores the service account deploy-bot, its GitHub token
// (whose alert is acme/payments-api#42) and a CI session the token backs.
func (r *rig) putDeployBot(t *testing.T, created time.Time) {
	t.Helper()
	ctx := context.Background()
	must(t, r.store.PutPrincipal(ctx, store.Principal{ID: "deploy-bot",
		Kind: store.KindServiceAccount, DisplayName: "Deploy Bot",
		CreatedAt: created}))
	must(t, r.store.PutCredential(ctx, store.Credential{ID: "deploy-bot-pat",
		PrincipalID: "deploy-bot", Kind: "api_key", Store: "github",
		ExternalID: "acme/payments-api#42", Fingerprint: fingerprint(leaked),
		CreatedAt: created}))
	must(t, r.store.PutSession(ctx, store.Session{ID: "ci-1",
		PrincipalID: "deploy-bot", Provider: "ci", Kind: "api",
		CredentialID: "deploy-bot-pat", CreatedAt: created}))
	r.github.addAlert("acme/payments-api", 42, leaked)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
