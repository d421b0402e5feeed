package rules_test

import (
	"cmp"
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/signals"
	"github.com/killswitch-dev/killswitch/store"
)

// contractInput shows the policy one of each target type.
var contractInput = rules.Input{
	Signal: signals.Signal{
		Format:   signals.FormatGuardDuty,
		Category: signals.CategoryThreat,
		Severity: signals.SeverityHigh,
		Subjects: []signals.Subject{
			{Type: signals.SubjectIP, Value: "198.51.100.9", Role: signals.RoleSource},
			{Type: signals.SubjectDeviceID, Value: "dev-named"},
		},
	},
	Principals: []rules.Principal{{Principal: store.Principal{
		ID: "p-1", Kind: store.KindHuman, Status: "active"}}},
	Sessions: []store.Session{{ID: "s-1", PrincipalID: "p-1",
		Origin: store.Origin{IP: "203.0.113.7", Device: "dev-1"},
		Status: store.StatusActive}},
	Credentials: []rules.Credential{{Credential: store.Credential{
		ID: "c-1", PrincipalID: "p-1", Status: "active"}}},
	Now: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC),
}

// secondAction is a policy whose decision (on line 3 of main.rego) has a
// valid action, then the Rego expression second.
func secondAction(second string) string {
	return "decision := {\"actions\": [ok, " + second + "]}\n\n" +
		`ok := {"kind": "revoke_sessions", "scope": "all", "reason": "r",` +
		` "target": {"type": "principal", "id": "p-1"}}`
}

// with overrides fields of the valid action.
func with(fields string) string {
	return secondAction("object.union(ok, " + fields + ")")
}

// target replaces the valid action's target with {"type": fields}.
func target(fields string) string {
	return with(`{"target": {"type": ` + fields + `}}`)
}

// other is an action of kind on the target {"type": fields}.
func other(kind, fields string) string {
	return secondAction(`{"kind": "` + kind + `", "reason": "r", ` +
		`"target": {"type": ` + fields + `}}`)
}

func without(key string) string {
	return secondAction(`object.remove(ok, ["` + key + `"])`)
}

func loadMain(t *testing.T, body string) *rules.PolicySet {
	t.Helper()
	src := "package killswitch.response\n\n" + body + "\n"
	ps, err := rules.Load(t.Context(), fstest.MapFS{
		"main.rego": {Data: []byte(src)},
	})
	if err != nil {
		t.Fatalf("load policy: %v", err)
	}
	return ps
}

// violation is a policy whose decision, on line 3 of main.rego unless row
// says otherwise, breaks the contract with message.
type violation struct {
	name    string
	policy  string
	message string
	row     int
}

func TestEvaluateRejectsMalformedDecisions(t *testing.T) {
	runViolations(t, rules.CodeInvalid, []violation{
		{name: "A decision that is not an object",
			policy:  `decision := [1]`,
			message: "decision: want an object, got array"},
		{name: "An empty object has no actions",
			policy: `decision := {}`,
			message: `decision: missing key "actions" ` +
				`(a decision to do nothing is {"actions": []})`},
		{name: "Actions that are not an array",
			policy:  `decision := {"actions": "none"}`,
			message: "actions: want an array, got string"},
		{name: "An unknown top-level key",
			policy: `decision := {"actions": [], "actionz": []}`,
			message: `decision: unknown key "actionz" ` +
				`(want actions, requires_approval, severity)`},
		{name: "Requires approval that is not a boolean",
			policy:  `decision := {"actions": [], "requires_approval": "yes"}`,
			message: "requires_approval: want a boolean or an object, got string"},
		{name: "An approval timeout that is not a duration",
			policy:  `decision := {"actions": [], "requires_approval": {"timeout": "soon"}}`,
			message: `requires_approval.timeout: want a positive Go duration ("4h"), got "soon"`},
		{name: "An unknown default on timeout",
			policy: `decision := {"actions": [], "requires_approval": ` +
				`{"timeout": "1h", "on_timeout": "maybe"}}`,
			message: `requires_approval.on_timeout: want "execute" or "drop", got "maybe"`},
		{name: "A default on timeout without a timeout",
			policy:  `decision := {"actions": [], "requires_approval": {"on_timeout": "execute"}}`,
			message: "requires_approval.on_timeout: needs a timeout"},
		{name: "An unknown approval key",
			policy:  `decision := {"actions": [], "requires_approval": {"deadline": "1h"}}`,
			message: `requires_approval: unknown key "deadline" (want on_timeout, timeout)`},
		{name: "A severity that is not a string",
			policy:  `decision := {"actions": [], "severity": 4}`,
			message: "severity: want a string, got number"},
		{name: "An action that is not an object",
			policy:  secondAction(`"revoke"`),
			message: "actions[1]: want an object, got string"},
		{name: "A kind that is not a string",
			policy:  with(`{"kind": 3}`),
			message: "actions[1].kind: want a string, got number"},
		{name: "An unknown action key",
			policy: with(`{"priority": "p1"}`),
			message: `actions[1]: unknown key "priority" ` +
				`(want kind, mode, reason, rule, scope, target, ttl)`},
		{name: "A null field",
			policy:  with(`{"scope": null}`),
			message: "actions[1].scope: want a string, got null"},
		{name: "A target that is not an object",
			policy:  with(`{"target": "p-1"}`),
			message: "actions[1].target: want an object, got string"},
		{name: "An unknown target key",
			policy:  target(`"principal", "id": "p-1", "name": "x"`),
			message: `actions[1].target: unknown key "name" (want id, type)`},
		{name: "A target id that is not a string",
			policy:  target(`"principal", "id": 1`),
			message: "actions[1].target.id: want a string, got number"},
	})
}

func TestEvaluateRejectsActionsOutsideTheContract(t *testing.T) {
	kinds := "revoke_sessions, revoke_credential, disable_principal, " +
		"lock, notify"
	runViolations(t, rules.CodeInvalid, []violation{
		{name: "An unknown severity",
			policy: `decision := {"actions": [], "severity": "urgent"}`,
			message: `severity: unknown severity "urgent" ` +
				"(want one of info, low, medium, high, critical)"},
		{name: "An unknown action kind",
			policy: with(`{"kind": "nuke"}`),
			message: `actions[1].kind: unknown action kind "nuke" ` +
				"(want one of " + kinds + ")"},
		{name: "A missing action kind",
			policy:  without("kind"),
			message: "actions[1].kind: missing (want one of " + kinds + ")"},
		{name: "A missing target",
			policy: without("target"),
			message: "actions[1].target.type: missing " +
				"(want principal or session or credential)"},
		{name: "A missing target id",
			policy:  target(`"principal", "id": ""`),
			message: "actions[1].target.id: missing"},
		{name: "A missing reason",
			policy:  without("reason"),
			message: "actions[1].reason: missing (say why, for the responder)"},
		{name: "A blank reason",
			policy:  with(`{"reason": "  "}`),
			message: "actions[1].reason: missing (say why, for the responder)"},
		{name: "A credential revocation aimed at a principal",
			policy: with(`{"kind": "revoke_credential", "scope": ""}`),
			message: "actions[1].target.type: revoke_credential cannot act " +
				`on a "principal" (want credential)`},
		{name: "A notification aimed at a session",
			policy: other("notify", `"session", "id": "s-1"`),
			message: "actions[1].target.type: notify cannot act " +
				`on a "session" (want principal)`},
		{name: "A lock aimed at a session",
			policy: other("lock", `"session", "id": "s-1"`),
			message: "actions[1].target.type: lock cannot act on a " +
				`"session" (want principal or credential or device or origin)`},
		{name: "An unknown scope",
			policy: with(`{"scope": "everything"}`),
			message: `actions[1].scope: "everything" is not a scope ` +
				`(want "all" or "provider:<name>")`},
		{name: "A provider scope without a provider",
			policy: with(`{"scope": "provider:"}`),
			message: `actions[1].scope: "provider:" is not a scope ` +
				`(want "all" or "provider:<name>")`},
		{name: "A scope on another kind",
			policy: with(`{"kind": "disable_principal"}`),
			message: "actions[1].scope: disable_principal takes no scope " +
				"(only revoke_sessions does)"},
		{name: "A lock TTL that is not a duration",
			policy: with(`{"kind": "lock", "scope": "", "ttl": "1 day"}`),
			message: `actions[1].ttl: "1 day" is not a Go duration ` +
				`(want e.g. "24h")`},
		{name: "A lock TTL that is not positive",
			policy:  with(`{"kind": "lock", "scope": "", "ttl": "-5m"}`),
			message: `actions[1].ttl: "-5m" is not positive`},
		{name: "A TTL on another kind",
			policy: with(`{"ttl": "1h"}`),
			message: "actions[1].ttl: revoke_sessions takes no ttl " +
				"(only lock does)"},
		{name: "An invented principal",
			policy:  target(`"principal", "id": "p-9"`),
			message: `actions[1].target.id: principal "p-9"` + notShown},
		{name: "An invented session",
			policy:  target(`"session", "id": "s-9"`),
			message: `actions[1].target.id: session "s-9"` + notShown},
		{name: "An invented credential",
			policy:  other("revoke_credential", `"credential", "id": "c-9"`),
			message: `actions[1].target.id: credential "c-9"` + notShown},
		{name: "An invented device",
			policy:  other("lock", `"device", "id": "dev-9"`),
			message: `actions[1].target.id: device "dev-9"` + notShown},
		{name: "An invented origin",
			policy:  other("lock", `"origin", "id": "192.0.2.1"`),
			message: `actions[1].target.id: origin "192.0.2.1"` + notShown},
	})
}

const notShown = " is not in the input (a policy may only act on what it was shown)"

func TestEvaluateReportsUndefinedDecisions(t *testing.T) {
	runViolations(t, rules.CodeUndefined, []violation{
		{name: "A decision without a default",
			policy: `decision := {"actions": []} if input.signal.type == "x"`,
			message: "data.killswitch.response.decision is undefined " +
				"for this input (give it a default)"},
	})
}

func TestEvaluateReportsEvaluationErrors(t *testing.T) {
	runViolations(t, rules.CodeEval, []violation{
		{name: "Conflicting outputs name the second rule",
			policy: "decision := {\"actions\": []}\n\n" +
				"decision := {\"actions\": [1]} if input.now",
			row: 5,
			message: "eval_conflict_error: rule data.killswitch.response." +
				"decision produced conflicting values:\n" +
				"  {\"actions\": []} at main.rego:3\n" +
				"  {\"actions\": [1]} at main.rego:5"},
		{name: "A built-in error names its line",
			policy: "decision := {\"actions\": [], \"severity\": s}\n\n" +
				"s := sprintf(\"%s\", [to_number(\"high\")])",
			row: 5,
			message: "eval_builtin_error: to_number: strconv.ParseFloat: " +
				`parsing "high": invalid syntax`},
	})
}

func runViolations(t *testing.T, code string, tests []violation) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := loadMain(t, tt.policy)
			_, err := ps.Evaluate(t.Context(), contractInput)
			assertPolicyError(t, err, code, "main.rego", cmp.Or(tt.row, 3),
				tt.message)
		})
	}
}

func assertPolicyError(t *testing.T, err error, code, file string, row int, msg string) {
	t.Helper()
	var pe *rules.PolicyError
	if !errors.As(err, &pe) {
		t.Fatalf("error = %v, want a *rules.PolicyError", err)
	}
	got := rules.PolicyError{Code: pe.Code, File: pe.File, Row: pe.Row, Message: pe.Message}
	want := rules.PolicyError{Code: code, File: file, Row: row, Message: msg}
	if got != want {
		t.Errorf("error =\n  %#v\nwant\n  %#v", got, want)
	}
	if !rules.IsPolicyError(err) {
		t.Errorf("IsPolicyError(%v) = false", err)
	}
}

func TestEvaluateAcceptsEveryTargetTheInputShows(t *testing.T) {
	actions := []string{
		`{"kind": "revoke_sessions", "target": {"type": "session", "id": "s-1"},
			"reason": "r", "scope": "provider:okta"}`,
		`{"kind": "revoke_sessions", "target": {"type": "credential", "id": "c-1"}, "reason": "r"}`,
		`{"kind": "revoke_credential", "target": {"type": "credential", "id": "c-1"},
			"reason": "r", "rule": "x"}`,
		`{"kind": "disable_principal", "target": {"type": "principal", "id": "p-1"}, "reason": "r"}`,
		`{"kind": "lock", "target": {"type": "device", "id": "dev-1"}, "reason": "r", "ttl": "24h"}`,
		`{"kind": "lock", "target": {"type": "device", "id": "dev-named"}, "reason": "r"}`,
		`{"kind": "lock", "target": {"type": "origin", "id": "203.0.113.7"},
			"reason": "r", "ttl": "90m"}`,
		`{"kind": "lock", "target": {"type": "origin", "id": "198.51.100.9"}, "reason": "r"}`,
		`{"kind": "notify", "target": {"type": "principal", "id": "p-1"}, "reason": "r"}`,
	}
	ps := loadMain(t, `decision := {"severity": "low", "requires_approval": true, "actions": [`+
		strings.Join(actions, ",\n")+`]}`)
	d, err := ps.Evaluate(t.Context(), contractInput)
	if err != nil {
		t.Fatalf("evaluate: %v", err)
	}
	if len(d.Actions) != len(actions) || d.Severity != "low" || !d.RequiresApproval {
		t.Fatalf("decision = %+v, want %d actions, severity low, approval", d, len(actions))
	}
	want := rules.Action{Kind: rules.Lock, Target: rules.Target{Type: "device", ID: "dev-1"},
		Reason: "r", TTL: "24h"}
	if d.Actions[4] != want {
		t.Errorf("actions[4] = %+v, want %+v", d.Actions[4], want)
	}
}

func TestEvaluateDoingNothing(t *testing.T) {
	ps := loadMain(t, `decision := {"actions": []}`)
	d, err := ps.Evaluate(t.Context(), contractInput)
	if err != nil || d.Actions == nil || len(d.Actions) != 0 {
		t.Fatalf("Evaluate = %+v, %v; want no actions and no error", d, err)
	}
}

func TestErrorReadsWithFileAndLine(t *testing.T) {
	ps := loadMain(t, with(`{"kind": "nuke"}`))
	_, err := ps.Evaluate(t.Context(), contractInput)
	want := `evaluate policy: policy main.rego:3: decision_invalid: actions[1].kind: ` +
		`unknown action kind "nuke" (want one of revoke_sessions, revoke_credential, ` +
		`disable_principal, lock, notify)`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v\nwant  %s", err, want)
	}
}

func TestEvaluateReturnsContextError(t *testing.T) {
	ps := loadMain(t, `decision := {"actions": []}`)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := ps.Evaluate(ctx, contractInput)
	if !errors.Is(err, context.Canceled) || rules.IsPolicyError(err) {
		t.Errorf("error = %v, want context.Canceled and no policy error", err)
	}
}

func TestEvaluateShowsEmptyListsAsArrays(t *testing.T) {
	ps := loadMain(t, `default decision := {"actions": [], "severity": "info"}

decision := {"actions": [], "severity": "low"} if {
	every list in [input.principals, input.sessions, input.credentials,
		input.locks, input.unresolved, input.signal.subjects,
		input.principals[0].matched_by] {
		is_array(list)
	}
}`)
	in := rules.Input{Principals: []rules.Principal{{}}}
	d, err := ps.Evaluate(t.Context(), in)
	if err != nil || d.Severity != "low" {
		t.Errorf("Evaluate = %+v, %v; want severity low (every list an array)", d, err)
	}
	if in.Principals[0].MatchedBy != nil {
		t.Errorf("Evaluate changed the caller's input: %+v", in.Principals[0])
	}
}

func TestEvaluateClockIsInputNow(t *testing.T) {
	ps := loadMain(t, `default decision := {"actions": []}

decision := {"actions": [], "severity": "high"} if {
	time.now_ns() == time.parse_rfc3339_ns(input.now)
}`)
	d, err := ps.Evaluate(t.Context(), contractInput)
	if err != nil || d.Severity != "high" {
		t.Errorf("Evaluate = %+v, %v; want time.now_ns() == input.now", d, err)
	}
}

func TestApprovalTermsAreReadFromTheDecision(t *testing.T) {
	cases := []struct {
		name, approval string
		timeout        time.Duration
		onTimeout      string
	}{
		{"A plain true waits for an operator", `true`, 0, ""},
		{"An object with a timeout drops by default",
			`{"timeout": "4h"}`, 4 * time.Hour, rules.OnTimeoutDrop},
		{"An object may run the actions on timeout",
			`{"timeout": "30m", "on_timeout": "execute"}`, 30 * time.Minute,
			rules.OnTimeoutExecute},
		{"An empty object waits for an operator", `{}`, 0, rules.OnTimeoutDrop},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ps := loadMain(t, `decision := {"actions": [], "requires_approval": `+
				c.approval+`}`)
			d, err := ps.Evaluate(t.Context(), contractInput)
			if err != nil {
				t.Fatal(err)
			}
			if !d.RequiresApproval || d.ApprovalTimeout != c.timeout ||
				d.OnTimeout != c.onTimeout {
				t.Fatalf("approval %v, timeout %s, on timeout %q; want true, %s, %q",
					d.RequiresApproval, d.ApprovalTimeout, d.OnTimeout,
					c.timeout, c.onTimeout)
			}
		})
	}
}
