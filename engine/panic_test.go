package engine

import (
	"context"
	"strings"
	"testing"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/store"
)

// panickyEvaluator panics on any signal about erin, as a bug in a policy
// engine or a decoder might on one odd input.
type panickyEvaluator struct{ Evaluator }

func (e panickyEvaluator) Evaluate(ctx context.Context, in rules.Input) (rules.Decision, error) {
	for _, p := range in.Principals {
		if p.ID == "erin" {
			panic("index out of range [3] with length 3")
		}
	}
	return e.Evaluator.Evaluate(ctx, in)
}

const graceAlert = "../testdata/alerts/07-risc-credential-compromise-grace.json"

// A panic on one message must not take the engine down: restarted, it
// would meet the same message again, and again.
func TestAPanicOnOneMessageDeadLettersIt(t *testing.T) {
	r := newRig(t, "../testdata/inventory.yaml",
		panickyEvaluator{shippedPolicies(t)})
	r.start()
	r.send([2][]byte{[]byte("erin"), readFile(t, erinAlert)},
		[2][]byte{[]byte("grace"), readFile(t, graceAlert)})
	r.waitFor("both alerts processed", func() bool { return r.settled(2) })
	r.stop()

	dlq := r.readAll(DefaultDLQTopic)
	if len(dlq) != 1 {
		t.Fatalf("%d DLQ messages, want 1", len(dlq))
	}
	if code := headerValue(dlq[0], HeaderErrorCode); code != CodeInternalError {
		t.Errorf("DLQ code %q, want %q", code, CodeInternalError)
	}
	if reason := headerValue(dlq[0], HeaderError); !strings.Contains(reason, "index out of range") {
		t.Errorf("DLQ reason %q does not give the panic", reason)
	}
	assertSessionStatus(t, r.store, "grace-okta-web", store.StatusRevoked)
}

// panickyConnector panics when asked about one session.
type panickyConnector struct{ *flakyConnector }

func (c panickyConnector) Revoke(ctx context.Context, req connectors.Request) connectors.Result {
	if req.Session != nil && req.Session.ID == "erin-okta-web" {
		panic("nil map in okta client")
	}
	return c.flakyConnector.Revoke(ctx, req)
}

func (c panickyConnector) Provider() string { return "okta" }

func TestAPanicInAConnectorFailsOnlyThatAction(t *testing.T) {
	r := newRig(t, "../testdata/inventory.yaml", nil)
	r.conns = connectors.Set{"okta": panickyConnector{newFlakyConnector(0, connectors.Retryable)}}
	r.svc = r.service(shippedPolicies(t))
	r.start()
	r.send([2][]byte{[]byte("erin"), readFile(t, erinAlert)})
	r.waitFor("erin's actions finished", func() bool { return r.settled(1) })
	r.send([2][]byte{[]byte("grace"), readFile(t, graceAlert)})
	r.waitFor("grace's alert processed", func() bool { return r.settled(2) })
	r.stop()

	acts, err := r.store.ListActions(context.Background(), store.ActionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range acts {
		failed := a.Kind == rules.RevokeSessions && a.TargetID == "erin"
		switch {
		case failed && (a.State != store.ActionFailed ||
			!strings.Contains(a.LastError, "nil map in okta client")):
			t.Errorf("erin's revoke_sessions is %s (%q), want failed with the panic",
				a.State, a.LastError)
		case !failed && a.State != store.ActionDone:
			t.Errorf("%s %s:%s is %s (%s), want done", a.Kind, a.TargetType,
				a.TargetID, a.State, a.LastError)
		}
	}
	assertSessionStatus(t, r.store, "grace-okta-web", store.StatusRevoked)
}
