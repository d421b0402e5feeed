package engine

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/store"
)

// A policy that breaks the contract for one principal and works for the
// others: the broken decision must dead-letter that signal, act on
// nothing, and leave the consumer going.
const halfBrokenPolicy = `package killswitch.response

decision := {"actions": [{"kind": "nuke", "target": {"type": "principal",
	"id": p.id}, "reason": "broken"}]} if {
	some p in input.principals
	p.id == "erin"
}

decision := {"actions": [{"kind": "revoke_sessions", "target": {"type":
	"principal", "id": p.id}, "reason": "test"}]} if {
	some p in input.principals
	p.id == "grace"
}

default decision := {"actions": []}
`

func TestPolicyErrorDeadLettersAndTheConsumerGoesOn(t *testing.T) {
	ev, err := rules.Load(context.Background(), fstest.MapFS{
		"broken.rego": {Data: []byte(halfBrokenPolicy)}})
	if err != nil {
		t.Fatal(err)
	}
	r := newRig(t, "../testdata/inventory.yaml", ev)
	r.start()
	r.send(
		[2][]byte{[]byte("erin"), readFile(t, "../testdata/alerts/06-risc-account-disabled-erin.json")},
		[2][]byte{[]byte("grace"), readFile(t, "../testdata/alerts/07-risc-credential-compromise-grace.json")},
	)
	r.waitFor("both alerts processed", func() bool { return r.settled(2) })
	r.stop()

	assertSessionStatus(t, r.store, "erin-okta-web", store.StatusActive)
	assertSessionStatus(t, r.store, "grace-okta-web", store.StatusRevoked)
	dlq := r.readAll(DefaultDLQTopic)
	if len(dlq) != 1 {
		t.Fatalf("%d DLQ messages, want 1", len(dlq))
	}
	reason := headerValue(dlq[0], HeaderError)
	for _, want := range []string{"broken.rego", "nuke"} {
		if !strings.Contains(reason, want) {
			t.Errorf("DLQ reason %q does not name %q", reason, want)
		}
	}
	if got := headerValue(dlq[0], HeaderErrorCode); got != CodePolicyError {
		t.Errorf("DLQ code = %q, want %q", got, CodePolicyError)
	}
}

func assertSessionStatus(t *testing.T, st store.Store, id, want string) {
	t.Helper()
	s, err := st.GetSession(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if s.Status != want {
		t.Fatalf("session %s is %s, want %s", id, s.Status, want)
	}
}

// TestContractBreakingDecisionsAreDeadLettered: a decision that is {}, an
// unknown action kind, or a string where the list of actions belongs is a
// policy error naming the file and line; the alert goes to the DLQ with
// that reason and nothing is planned or executed.
func TestContractBreakingDecisionsAreDeadLettered(t *testing.T) {
	tests := []struct {
		name, decision, reason string
	}{
		{"An empty object", `decision := {}`,
			`contract.rego:3: decision_invalid: decision: missing key "actions"`},
		{"An unknown action kind", `decision := {"actions": [{"kind": "nuke",
	"reason": "x", "target": {"type": "principal", "id": "erin"}}]}`,
			`contract.rego:3: decision_invalid: actions[0].kind: unknown action kind "nuke"`},
		{"A string where the list belongs", `decision := {"actions": "all of them"}`,
			"contract.rego:3: decision_invalid: actions: want an array, got string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := rules.Load(context.Background(), fstest.MapFS{"contract.rego": {
				Data: []byte("package killswitch.response\n\n" + tt.decision + "\n")}})
			if err != nil {
				t.Fatal(err)
			}
			r := newRig(t, "../testdata/inventory.yaml", ev)
			r.start()
			r.send([2][]byte{[]byte("erin"),
				readFile(t, "../testdata/alerts/06-risc-account-disabled-erin.json")})
			r.waitFor("the alert is processed", func() bool { return r.settled(1) })
			r.stop()
			dlq := r.readAll(DefaultDLQTopic)
			if len(dlq) != 1 {
				t.Fatalf("%d DLQ messages, want 1", len(dlq))
			}
			if reason := headerValue(dlq[0], HeaderError); !strings.Contains(reason, tt.reason) {
				t.Fatalf("DLQ reason %q does not name %q", reason, tt.reason)
			}
			assertSessionStatus(t, r.store, "erin-okta-web", store.StatusActive)
			acts, err := r.store.ListActions(context.Background(), store.ActionFilter{})
			if err != nil || len(acts) != 0 {
				t.Errorf("outbox = %v, %v; want nothing planned", acts, err)
			}
		})
	}
}
