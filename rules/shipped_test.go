package rules_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/policies"
	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/signals"
	"github.com/killswitch-dev/killswitch/store"
)

var now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func principal(id string, kind store.PrincipalKind, breakGlass bool) rules.Principal {
	return rules.Principal{
		Principal: store.Principal{ID: id, Kind: kind, DisplayName: "Name of " + id,
			Status: "active", BreakGlass: breakGlass},
		MatchedBy: []signals.Subject{{Type: signals.SubjectEmail,
			Value: id + "@example.com", Role: signals.RoleActor}},
	}
}

func session(id, principalID, credentialID string) store.Session {
	return store.Session{ID: id, PrincipalID: principalID, Provider: "okta",
		ExternalID: "ext-" + id, Kind: "browser", CredentialID: credentialID,
		Origin:    store.Origin{IP: "203.0.113.7", Device: "dev-" + id},
		CreatedAt: now.Add(-time.Hour), Status: store.StatusActive}
}

// credentials gives principalID n active credentials <principalID>-c<i>;
// the first is named by the signal.
func credentials(principalID string, n int) []rules.Credential {
	out := make([]rules.Credential, n)
	for i := range out {
		out[i] = rules.Credential{Credential: store.Credential{
			ID: fmt.Sprintf("%s-c%d", principalID, i), PrincipalID: principalID,
			Kind: "api_key", Store: "github", CreatedAt: now.AddDate(0, 0, -30),
			Status: "active"}, AgeDays: 30, DaysSinceExposure: -1}
	}
	out[0].MatchedBy = []signals.Subject{{Type: signals.SubjectSecretHash,
		Value: "sha256:9f86d0", Role: signals.RoleCredential}}
	return out
}

func scenarioInput(category signals.Category, sev signals.Severity, p rules.Principal) rules.Input {
	return rules.Input{
		Signal: signals.Signal{Format: signals.FormatGuardDuty, Category: category,
			Type: "Finding", Severity: sev, Time: now, DedupKey: "k-1",
			Subjects: []signals.Subject{
				{Type: signals.SubjectSessionID, Value: "ext-s-1", Role: signals.RoleTarget},
				{Type: signals.SubjectRepository, Value: "acme/api", Role: signals.RoleLocation},
			}},
		Principals:  []rules.Principal{p},
		Sessions:    []store.Session{session("s-0", p.ID, p.ID+"-c0"), session("s-1", p.ID, "")},
		Credentials: credentials(p.ID, 3),
		Now:         now,
	}
}

// brief is what the scenario tests compare of an action.
type brief struct{ Kind, Type, ID, Scope, Rule string }

func briefs(actions []rules.Action) []brief {
	out := make([]brief, len(actions))
	for i, a := range actions {
		out[i] = brief{a.Kind, a.Target.Type, a.Target.ID, a.Scope, a.Rule}
	}
	return out
}

func loadShipped(t testing.TB) *rules.PolicySet {
	t.Helper()
	ps, err := rules.Load(t.Context(), policies.FS)
	if err != nil {
		t.Fatalf("load shipped policies: %v", err)
	}
	return ps
}

func TestShippedPoliciesDecideEachScenario(t *testing.T) {
	alice := principal("alice", store.KindHuman, false)
	bot := principal("bot", store.KindServiceAccount, false)
	tests := []struct {
		name     string
		category signals.Category
		severity signals.Severity
		who      rules.Principal
		want     []brief
		severe   string
	}{
		{"A secret exposure revokes the named credential and its sessions",
			signals.CategorySecretExposure, signals.SeverityLow, bot, []brief{
				{"revoke_credential", "credential", "bot-c0", "", "secret_exposure"},
				{"revoke_sessions", "credential", "bot-c0", "all", "secret_exposure"},
			}, "high"},
		{"A high threat against a person ends their sessions",
			signals.CategoryThreat, signals.SeverityHigh, alice, []brief{
				{"revoke_sessions", "principal", "alice", "all", "threat"},
			}, "high"},
		{"A critical threat against a service account also revokes its named credential",
			signals.CategoryThreat, signals.SeverityCritical, bot, []brief{
				{"revoke_credential", "credential", "bot-c0", "", "threat"},
				{"revoke_sessions", "credential", "bot-c0", "all", "threat"},
				{"revoke_sessions", "principal", "bot", "all", "threat"},
			}, "critical"},
		{"A medium threat only notifies",
			signals.CategoryThreat, signals.SeverityMedium, bot, []brief{
				{"notify", "principal", "bot", "", "threat"},
			}, "medium"},
		{"A revoked session is revoked here too",
			signals.CategorySessionRevoked, signals.SeverityInfo, alice, []brief{
				{"revoke_sessions", "session", "s-1", "", "session_revoked"},
			}, "medium"},
		{"A compromised credential cuts the account off",
			signals.CategoryCredentialCompromise, signals.SeverityHigh, alice, []brief{
				{"disable_principal", "principal", "alice", "", "account_compromise"},
				{"revoke_credential", "credential", "alice-c0", "", "account_compromise"},
				{"revoke_credential", "credential", "alice-c1", "", "account_compromise"},
				{"revoke_credential", "credential", "alice-c2", "", "account_compromise"},
				{"revoke_sessions", "principal", "alice", "all", "account_compromise"},
			}, "critical"},
	}
	ps := loadShipped(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ps.Evaluate(t.Context(), scenarioInput(tt.category, tt.severity, tt.who))
			if err != nil {
				t.Fatalf("evaluate: %v", err)
			}
			if got := briefs(d.Actions); !slices.Equal(got, tt.want) {
				t.Errorf("actions =\n  %+v\nwant\n  %+v", got, tt.want)
			}
			if d.Severity != tt.severe {
				t.Errorf("severity = %q, want %q", d.Severity, tt.severe)
			}
			for i, a := range d.Actions {
				if a.Reason == "" {
					t.Errorf("actions[%d] has no reason", i)
				}
			}
		})
	}
}

func TestShippedPoliciesNeverActOnBreakGlass(t *testing.T) {
	ps := loadShipped(t)
	for _, category := range []signals.Category{
		signals.CategorySecretExposure, signals.CategoryThreat,
		signals.CategorySessionRevoked, signals.CategoryAccountDisabled,
		signals.CategoryCredentialCompromise,
	} {
		for _, kind := range []store.PrincipalKind{store.KindHuman, store.KindAgent} {
			t.Run(fmt.Sprintf("%s on a break-glass %s", category, kind), func(t *testing.T) {
				p := principal("root", kind, true)
				in := scenarioInput(category, signals.SeverityCritical, p)
				d, err := ps.Evaluate(t.Context(), in)
				if err != nil || len(d.Actions) != 0 {
					t.Errorf("Evaluate = %+v, %v; want no actions", d.Actions, err)
				}
				p.BreakGlass = false
				in.Principals[0] = p
				if d, err := ps.Evaluate(t.Context(), in); err != nil || len(d.Actions) == 0 {
					t.Errorf("without break-glass Evaluate = %+v, %v; want actions", d.Actions, err)
				}
			})
		}
	}
}

func TestShippedPoliciesExplainThemselves(t *testing.T) {
	in := scenarioInput(signals.CategorySecretExposure, signals.SeverityHigh,
		principal("bot", store.KindServiceAccount, false))
	in.Signal.Format = signals.FormatGitHubSecretScanning
	d, err := loadShipped(t).Evaluate(t.Context(), in)
	if err != nil || len(d.Actions) == 0 {
		t.Fatalf("Evaluate = %+v, %v; want actions", d, err)
	}
	want := "GitHub secret scanning found credential bot-c0 of Name of bot (bot) " +
		"exposed in acme/api; revoking it"
	if d.Actions[0].Reason != want {
		t.Errorf("reason = %q\nwant     %q", d.Actions[0].Reason, want)
	}
}

func TestShippedPoliciesAreDeterministic(t *testing.T) {
	ps := loadShipped(t)
	in := scenarioInput(signals.CategoryCredentialCompromise, signals.SeverityHigh,
		principal("alice", store.KindHuman, false))
	first, err := ps.Evaluate(t.Context(), in)
	if err != nil {
		t.Fatalf("evaluate: %v", err)
	}
	slices.Reverse(in.Credentials)
	slices.Reverse(in.Sessions)
	for range 5 {
		again, err := ps.Evaluate(t.Context(), in)
		if err != nil || !slices.Equal(again.Actions, first.Actions) {
			t.Fatalf("Evaluate = %+v, %v; want %+v again", again.Actions, err, first.Actions)
		}
	}
}

// TestEvaluateConcurrently: one policy set serves many goroutines (run
// with -race to check the claim).
func TestEvaluateConcurrently(t *testing.T) {
	ps := loadShipped(t)
	in := scenarioInput(signals.CategoryThreat, signals.SeverityCritical,
		principal("bot", store.KindServiceAccount, false))
	want, err := ps.Evaluate(t.Context(), in)
	if err != nil {
		t.Fatalf("evaluate: %v", err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				got, err := ps.Evaluate(t.Context(), in)
				if err != nil || !slices.Equal(got.Actions, want.Actions) {
					t.Errorf("Evaluate = %+v, %v; want %+v", got.Actions, err, want.Actions)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestShippedSweepFindsStaleExposuresAndSparesBreakGlass(t *testing.T) {
	ps := loadShipped(t)
	if !ps.HasSweep() {
		t.Fatal("the shipped library defines no sweep decision")
	}
	in := rules.Input{Now: now, Principals: []rules.Principal{
		principal("bot", store.KindServiceAccount, false),
		principal("root", store.KindHuman, true)}}
	in.Credentials = append(credentials("bot", 2), credentials("root", 1)...)
	in.Credentials[0].DaysSinceExposure = 9
	in.Credentials[2].DaysSinceExposure = 90
	in.Sessions = []store.Session{session("s-bot", "bot", "bot-c0")}
	d, err := ps.EvaluateSweep(t.Context(), in)
	if err != nil {
		t.Fatalf("EvaluateSweep: %v", err)
	}
	want := []brief{
		{"notify", "principal", "bot", "", "exposed_still_valid"},
		{"revoke_credential", "credential", "bot-c0", "", "exposed_still_valid"},
		{"revoke_sessions", "credential", "bot-c0", "all", "exposed_still_valid"},
	}
	if got := briefs(d.Actions); !slices.Equal(got, want) {
		t.Errorf("sweep actions =\n  %+v\nwant\n  %+v", got, want)
	}
	if d.Severity != "critical" {
		t.Errorf("severity = %q, want critical", d.Severity)
	}
}
