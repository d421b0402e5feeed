package api_test

import (
	"strings"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/api"
	"github.com/killswitch-dev/killswitch/store"
)

// A write on a record outside the token's scope is answered exactly as
// one on a record that does not exist, as the reads answer: a refusal
// that said "belongs to a principal of kind human" let a token scoped
// to service accounts find every person in the registry and their
// kind, one id at a time.
func TestAWriteTellsAScopedTokenNothingOfWhatIsOutsideIt(t *testing.T) {
	e := newOpsEnv(t, 0)
	now := time.Now()
	_, err := e.st.RecordSignal(t.Context(), store.SignalRecord{ID: "sig-1",
		DedupKey: "d-1", Time: now, ReceivedAt: now},
		[]store.Action{{ID: "act-1", IdempotencyKey: "k-1", SignalID: "sig-1",
			Kind: "revoke_sessions", TargetType: "principal", TargetID: "dave",
			Reason: "alert", PrincipalKind: store.KindHuman,
			State: store.ActionAwaitingApproval, CreatedAt: now,
			UpdatedAt: now}}, nil)
	must(t, err)
	bots := e.token(api.Responder, store.TokenScopes{
		PrincipalKinds: []store.PrincipalKind{store.KindServiceAccount}})
	okta := e.token(api.Responder, store.TokenScopes{
		Providers: []string{"okta"}})
	for _, c := range []struct {
		name, token, path string
		known, unknown    map[string]any
	}{
		{"session", bots, "/v1/sessions/terminate",
			map[string]any{"session_id": "alice-okta-laptop", "reason": "x"},
			map[string]any{"session_id": "nobody-laptop", "reason": "x"}},
		{"principal", bots, "/v1/sessions/terminate",
			map[string]any{"principal_id": "alice", "reason": "x"},
			map[string]any{"principal_id": "nobody", "reason": "x"}},
		{"credential", bots, "/v1/sessions/terminate",
			map[string]any{"credential_id": "alice-aws-key", "reason": "x"},
			map[string]any{"credential_id": "nobody-key", "reason": "x"}},
		{"session at another provider", okta, "/v1/sessions/terminate",
			map[string]any{"session_id": "alice-aws-console", "reason": "x"},
			map[string]any{"session_id": "nobody-laptop", "reason": "x"}},
		{"lock on a principal", bots, "/v1/locks",
			map[string]any{"target_type": "principal", "target": "alice",
				"reason": "x"},
			map[string]any{"target_type": "principal", "target": "nobody",
				"reason": "x"}},
		{"lock on a credential", bots, "/v1/locks",
			map[string]any{"target_type": "credential",
				"target": "alice-aws-key", "reason": "x"},
			map[string]any{"target_type": "credential",
				"target": "nobody-key", "reason": "x"}},
		{"approval", bots, "/v1/actions/act-1/approve",
			map[string]any{"reason": "x"}, nil},
	} {
		known := e.do("POST", c.path, c.token, c.known).problem(t, 404,
			api.ProblemCodeNotFound)
		if c.unknown == nil {
			if known.Detail != "no action act-1 in the registry within "+
				"the caller's scope" {
				t.Errorf("%s: %q", c.name, known.Detail)
			}
			continue
		}
		// The same target unknown: the answer differs only by its name.
		unknown := e.do("POST", c.path, c.token, c.unknown).problem(t,
			404, api.ProblemCodeNotFound)
		name := func(body map[string]any) string {
			for _, k := range []string{"session_id", "principal_id",
				"credential_id", "target"} {
				if v, ok := body[k].(string); ok {
					return v
				}
			}
			return ""
		}
		if strings.ReplaceAll(known.Detail, name(c.known), "ID") !=
			strings.ReplaceAll(unknown.Detail, name(c.unknown), "ID") {
			t.Errorf("%s: out of scope %q, unknown %q", c.name,
				known.Detail, unknown.Detail)
		}
	}
	// A lock on a principal holds at every provider: a token scoped to
	// providers may place none, known or not (it locked deploy-bot, a
	// GitHub bot it cannot even see).
	for _, p := range []string{"deploy-bot", "nobody"} {
		e.do("POST", "/v1/sessions/terminate", okta, map[string]any{
			"principal_id": p, "reason": "x"}).problem(t, 403,
			api.ProblemCodeForbidden)
		e.do("POST", "/v1/locks", okta, map[string]any{
			"target_type": "principal", "target": p, "reason": "x"}).
			problem(t, 403, api.ProblemCodeForbidden)
	}
	for _, id := range []string{"alice-okta-laptop", "alice-aws-console"} {
		if st := e.sessionStatus(id); st != store.StatusActive {
			t.Errorf("%s is %s", id, st)
		}
	}
}

// An alias that names a credential (an AWS access key id) belongs to
// that credential: a token that may not see the credential does not see
// its alias either.
func TestAScopedTokenSeesNoAliasOfACredentialOutsideItsScope(t *testing.T) {
	e := newOpsEnv(t, 0)
	okta := e.token(api.Viewer, store.TokenScopes{Providers: []string{"okta"}})
	var p api.Principal
	e.get("/v1/principals/alice", okta, 200, &p)
	if len(p.Aliases) == 0 {
		t.Fatal("alice shows no alias at all")
	}
	for _, a := range p.Aliases {
		if a.CredentialID == "alice-aws-key" {
			t.Errorf("an Okta token sees alias %+v of an AWS key", a)
		}
	}
	var list struct{ Items []api.Principal }
	e.get("/v1/principals?alias_type=email&alias=alice@example.com", okta,
		200, &list)
	for _, p := range list.Items {
		for _, a := range p.Aliases {
			if a.CredentialID == "alice-aws-key" {
				t.Errorf("the list shows an Okta token alias %+v", a)
			}
		}
	}
	e.do("GET", "/v1/credentials/alice-aws-key", okta, nil).problem(t, 404,
		api.ProblemCodeNotFound)
}

// Nor does it find a principal by such an alias: an Okta token asking
// whose AWS key AKIA... is was told it was alice's.
func TestAScopedTokenFindsNoOneByAnAliasOutsideItsScope(t *testing.T) {
	e := newOpsEnv(t, 0)
	okta := e.token(api.Viewer, store.TokenScopes{Providers: []string{"okta"}})
	var list struct{ Items []api.Principal }
	e.get("/v1/principals?alias_type=access_key_id&alias=AKIAALICEDEMO0000001",
		okta, 200, &list)
	if len(list.Items) != 0 {
		t.Errorf("an Okta token finds %s by an AWS key id", list.Items[0].ID)
	}
	e.get("/v1/principals?alias_type=email&alias=alice@example.com", okta,
		200, &list)
	if len(list.Items) != 1 {
		t.Errorf("an Okta token finds %d principals by alice's email", len(list.Items))
	}
}
