package engine

import (
	"context"
	"regexp"
	"testing"
	"testing/fstest"
	"time"

	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/store"
)

// graceRule works: it revokes grace's sessions, so that each broken
// policy below shows the consumer going on past erin's alert.
const graceRule = `
decision := {"actions": [{"kind": "revoke_sessions", "target": {"type":
	"principal", "id": "grace"}, "reason": "test"}]} if {
	some p in input.principals
	p.id == "grace"
}
`

// brokenPolicies break, each in its own way, only on erin's alert.
var brokenPolicies = []struct {
	name, src string
}{
	{"Conflicting values for the decision", `package killswitch.response
default decision := {"actions": []}
` + graceRule + `
decision := {"actions": []} if erin
decision := {"actions": [], "severity": "high"} if erin
erin if "erin" in {p.id | some p in input.principals}
`},
	{"Conflicting values too large for a header", `package killswitch.response
default decision := {"actions": []}
` + graceRule + `
decision := {"actions": [], "severity": "high"} if erin
decision := {"actions": [], "severity": big} if erin
erin if "erin" in {p.id | some p in input.principals}
big := sprintf("%v", [numbers.range(1, 300000)])
`},
	{"Division by zero in a rule", `package killswitch.response
default decision := {"actions": []}
` + graceRule + `
decision := {"actions": [], "severity": level} if {
	"erin" in {p.id | some p in input.principals}
	level := sprintf("%d", [1 / count(input.locks)])
}
`},
	{"A decision of the wrong shape", `package killswitch.response
default decision := {"actions": []}
` + graceRule + `
decision := {"actions": "everything"} if {
	"erin" in {p.id | some p in input.principals}
}
`},
	{"A decision that would run for hours", `package killswitch.response
default decision := {"actions": []}
` + graceRule + `
decision := {"actions": [], "severity": "low"} if {
	"erin" in {p.id | some p in input.principals}
	count([1 | some x in numbers.range(1, 1000000)
		some y in numbers.range(1, 1000000)]) > 0
}
`},
	{"An action on a target the policy invented", `package killswitch.response
default decision := {"actions": []}
` + graceRule + `
decision := {"actions": [{"kind": "disable_principal", "target": {"type":
	"principal", "id": "mallory"}, "reason": "made up"}]} if {
	"erin" in {p.id | some p in input.principals}
}
`},
}

// brokenLimit bounds each evaluation of the broken policies: far above
// what grace's decision takes, far below what the slow one would.
const brokenLimit = time.Second

func TestBrokenPoliciesDeadLetterWithFileAndLine(t *testing.T) {
	for _, c := range brokenPolicies {
		t.Run(c.name, func(t *testing.T) {
			ev, err := rules.Load(context.Background(), fstest.MapFS{
				"broken.rego": {Data: []byte(c.src)}},
				rules.WithEvalTimeout(brokenLimit))
			if err != nil {
				t.Fatal(err)
			}
			r := newRig(t, "../testdata/inventory.yaml", ev)
			r.start()
			r.send(
				[2][]byte{[]byte("erin"), readFile(t, erinAlert)},
				[2][]byte{[]byte("grace"), readFile(t, "../testdata/alerts/07-risc-credential-compromise-grace.json")},
			)
			r.waitFor("both alerts processed", func() bool { return r.settled(2) })
			r.stop()

			dlq := r.readAll(DefaultDLQTopic)
			if len(dlq) != 1 {
				t.Fatalf("%d DLQ messages, want 1", len(dlq))
			}
			reason := headerValue(dlq[0], HeaderError)
			if !regexp.MustCompile(`broken\.rego:\d+`).MatchString(reason) {
				t.Errorf("DLQ reason %q names no file and line", reason)
			}
			acts, err := r.store.ListActions(context.Background(), store.ActionFilter{})
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range acts {
				if a.TargetID != "grace" {
					t.Errorf("acted on %s:%s", a.TargetType, a.TargetID)
				}
			}
			assertSessionStatus(t, r.store, "erin-okta-web", store.StatusActive)
			assertSessionStatus(t, r.store, "grace-okta-web", store.StatusRevoked)
		})
	}
}
