package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/store"
)

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "killswitch.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTheRunConfigGivesProtectedPrincipalsAndBudgets(t *testing.T) {
	path := writeConfig(t, `
connectors: []
guardrails:
  protected: [root-admin]
  budgets:
    - name: sa-credential-revocations
      limit: 20
      window: 1h
      kind: revoke_credential
      principal_kind: service_account
    - {name: everything, limit: 200, window: 24h}
`)
	g := engine.Guardrails{Protected: []string{"from-flag"}}
	if err := loadGuardrails(path, &g); err != nil {
		t.Fatal(err)
	}
	want := []store.Budget{{Name: "sa-credential-revocations", Limit: 20,
		Window: time.Hour, Kind: "revoke_credential",
		PrincipalKind: store.KindServiceAccount},
		{Name: "everything", Limit: 200, Window: 24 * time.Hour}}
	if len(g.Protected) != 2 || g.Protected[1] != "root-admin" ||
		len(g.Budgets) != 2 || g.Budgets[0] != want[0] || g.Budgets[1] != want[1] {
		t.Fatalf("guardrails %+v, want from-flag and root-admin protected "+
			"and budgets %+v", g, want)
	}
}

func TestRunRefusesABadGuardrailsSection(t *testing.T) {
	db := importedStore(t)
	cases := []struct{ name, config, want string }{
		{"A budget without a window", "guardrails:\n  budgets: [{name: b, limit: 1}]\n",
			"guardrails.budgets[0].window"},
		{"An unknown guardrails key", "guardrails:\n  protect: [root]\n",
			`unknown field "protect"`},
		{"A budget of an unknown principal kind", "guardrails:\n  budgets: " +
			"[{name: b, limit: 1, window: 1h, principal_kind: robot}]\n",
			`unknown principal kind "robot"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			runCLICases(t, db, []cliCase{{c.name, []string{"--store", "DB",
				"run", "--config", writeConfig(t, c.config)}, 2,
				[]string{c.want}}})
		})
	}
}
