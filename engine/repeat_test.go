package engine

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/store"
)

// repeatingPolicy decides, about frank, the same revocation twice, the
// same lock twice with another ttl, and a monitored notification before
// an enforced one.
const repeatingPolicy = `package killswitch.response

default decision := {"actions": []}

decision := {"actions": [cut, cut, lock("1h"), lock("720h"), tell("watch"),
	tell("act")]} if "frank" in {p.id | some p in input.principals}

cut := {"kind": "revoke_sessions", "target": {"type": "principal",
	"id": "frank"}, "reason": "takeover"}

lock(ttl) := {"kind": "lock", "target": {"type": "principal",
	"id": "frank"}, "reason": sprintf("locked for %s", [ttl]), "ttl": ttl}

tell(rule) := {"kind": "notify", "target": {"type": "principal",
	"id": "frank"}, "reason": rule, "rule": rule}
`

// TestARepeatedActionIsPlannedOnce: a decision that names one action
// twice (the same kind, target and scope) was planned twice under one
// idempotency key; the outbox kept the first and dropped the second
// without a word, while the audit trail listed both, the second as
// "coalesced into" itself, and a repeated lock's other ttl as planned.
// The outbox and the audit trail now hold one action per key: the
// first, or the first enforced one when an earlier one is monitored.
func TestARepeatedActionIsPlannedOnce(t *testing.T) {
	st := demoRegistry(t)
	ev, err := rules.Load(t.Context(), fstest.MapFS{
		"main.rego": {Data: []byte(repeatingPolicy)},
		"data.json": {Data: []byte(`{"killswitch": {"modes": ` +
			`{"watch": "monitor"}}}`)}})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	p := NewPipeline(st, ev, Guardrails{}, time.Now, log)
	out, err := p.Process(t.Context(), readFile(t,
		"../testdata/alerts/02-ocsf-detection-finding-frank.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"revoke_sessions principal:frank pending takeover",
		"lock principal:frank pending locked for 1h",
		"notify principal:frank pending act",
	}
	if got := describeActions(out.Actions); strings.Join(got, "\n") !=
		strings.Join(want, "\n") {
		t.Errorf("planned:\n  %s\nwant\n  %s", strings.Join(got, "\n  "),
			strings.Join(want, "\n  "))
	}
	stored, err := st.ListActions(t.Context(), store.ActionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != len(out.Actions) {
		t.Errorf("outbox holds %d actions, the outcome %d", len(stored),
			len(out.Actions))
	}
	entries, err := st.ListAudit(t.Context(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Event == EventActionSkipped {
			t.Errorf("audited %s %s: %s", e.Event, e.Subject, e.Details)
		}
	}
}

func describeActions(as []store.Action) []string {
	var out []string
	for _, a := range as {
		out = append(out, strings.Join([]string{a.Kind,
			a.TargetType + ":" + a.TargetID, a.State, a.Reason}, " "))
	}
	return out
}
