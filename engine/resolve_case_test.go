package engine

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/inventory"
	"github.com/killswitch-dev/killswitch/store/sqlite"
)

// demoRegistry is an in-memory registry holding the demo inventory.
func demoRegistry(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	inv, err := inventory.Load("../testdata/inventory.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inv.Import(t.Context(), st, time.Now()); err != nil {
		t.Fatal(err)
	}
	return st
}

// retyped is a sample alert with each old string replaced by its new.
func retyped(t *testing.T, path string, oldNew ...string) []byte {
	t.Helper()
	s := string(readFile(t, path))
	for i := 0; i < len(oldNew); i += 2 {
		if !strings.Contains(s, oldNew[i]) {
			t.Fatalf("%s holds no %q", path, oldNew[i])
		}
		s = strings.ReplaceAll(s, oldNew[i], oldNew[i+1])
	}
	return []byte(s)
}

// TestAnAliasInAnotherCaseNamesItsPrincipal: the identity providers
// compare e-mail addresses and user names whatever their case, and
// alerts spell them as the user typed them. An alert naming alice only
// as ALICE@Example.COM resolved to no one, so nothing was cut.
func TestAnAliasInAnotherCaseNamesItsPrincipal(t *testing.T) {
	st := demoRegistry(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	p := NewPipeline(st, shippedPolicies(t), Guardrails{}, time.Now, log)
	alert := retyped(t, "../testdata/alerts/02-ocsf-detection-finding-frank.json",
		"frank@example.com", "Frank@Example.COM",
		"00ufrankDEMO00000001", "00uSOMEONEELSE000001",
		"idxFrankHijackedDEMO0001", "idxSomeOtherSession01")
	out, err := p.Process(t.Context(), alert)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Input.Principals) != 1 || out.Input.Principals[0].ID != "frank" {
		t.Fatalf("principals = %+v, want frank", out.Input.Principals)
	}
	if len(out.Actions) == 0 || out.Actions[0].TargetID != "frank" ||
		out.Actions[0].State != store.ActionPending {
		t.Fatalf("actions = %+v, want frank's sessions revoked", out.Actions)
	}
}

// TestABreakGlassPrincipalInAnotherCaseIsHeld: the break-glass admin
// named only by its user name in another case is resolved, and so held
// like one named exactly.
func TestABreakGlassPrincipalInAnotherCaseIsHeld(t *testing.T) {
	st := demoRegistry(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	p := NewPipeline(st, shippedPolicies(t), Guardrails{}, time.Now, log)
	alert := retyped(t, "../testdata/alerts/10-guardduty-breakglass-admin.json",
		"AKIABREAKGLASS000001", "AKIAUNKNOWNKEY000001",
		"AIDABREAKGLASS000001", "AIDAUNKNOWN000000001",
		`"userName": "breakglass-admin"`, `"userName": "BreakGlass-Admin"`)
	out, err := p.Process(context.Background(), alert)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Input.Principals) != 1 ||
		out.Input.Principals[0].ID != "breakglass-admin" {
		t.Fatalf("principals = %+v, want breakglass-admin",
			out.Input.Principals)
	}
	for _, a := range out.Actions {
		if a.State != store.ActionSkipped {
			t.Errorf("action %s %s:%s is %s, want skipped (break-glass)",
				a.Kind, a.TargetType, a.TargetID, a.State)
		}
	}
}
