package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"

	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/internal/configdoc"
	"github.com/killswitch-dev/killswitch/rules"
)

// guardrailsConfig is the guardrails section of the run config file:
//
//	guardrails:
//	  protected: [root-admin]   # never acted on automatically
//	  budgets:                  # over budget, actions wait for approval
//	    - {name: sa-credential-revocations, limit: 20, window: 1h,
//	       kind: revoke_credential, principal_kind: service_account}
//
// A budget's kind, policy (an action's rule) and principal_kind narrow
// it; without them it counts every action. The policy set's data may add
// break-glass principals and budgets (policies/README.md).
type guardrailsConfig struct {
	Protected []string `json:"protected"`
	Budgets   []any    `json:"budgets"`
}

// loadGuardrails adds the config file's guardrails to g. A file without
// the section changes nothing.
func loadGuardrails(path string, g *engine.Guardrails) error {
	if path == "" {
		return nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	js, err := configdoc.ToJSON(b)
	if err != nil {
		return fmt.Errorf("config %s: not YAML: %w", path, err)
	}
	var doc struct {
		Guardrails json.RawMessage `json:"guardrails"`
	}
	var cfg guardrailsConfig
	if err := json.Unmarshal(js, &doc); err != nil || len(doc.Guardrails) == 0 {
		return nil // not a mapping: the connectors section says so
	}
	dec := json.NewDecoder(bytes.NewReader(doc.Guardrails))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return fmt.Errorf("config %s: guardrails: %w", path, err)
	}
	g.Protected = append(g.Protected, cfg.Protected...)
	for i, v := range cfg.Budgets {
		budget, err := rules.ParseBudget(v)
		if err != nil {
			return fmt.Errorf("config %s: guardrails.budgets[%d]%w", path, i, err)
		}
		g.Budgets = append(g.Budgets, budget)
	}
	return nil
}

// warnUnmatchedProtected warns, once per name, of each protected name
// that names no principal of the registry: a typo protects no one. It
// does not refuse to start, as the principal may arrive by a later sync.
func warnUnmatchedProtected(ctx context.Context, g engine.Guardrails,
	pf engine.PrincipalFinder, log *slog.Logger) error {
	names, err := g.Unmatched(ctx, pf)
	if err != nil {
		return fmt.Errorf("check protected principals: %w", err)
	}
	for _, n := range names {
		log.Warn("protected name matches no principal by id or alias; "+
			"it protects no one until a principal of that name arrives",
			"protected", n)
	}
	return nil
}
