// Package engine runs the response pipeline: it takes alert payloads from a
// source, decodes them, resolves and enriches their subjects from the
// registry, asks the policies for a decision, plans actions under the
// guardrails, stores them in the outbox, and executes them.
//
// The flow of one message:
//
//	source -> decode -> resolve -> enrich -> evaluate -> plan -> outbox
//	       -> commit offset -> execute (connectors, registry) -> audit
//
// An offset is committed only after the message's actions are in the
// outbox (or it is on the dead-letter topic), so a crash loses nothing.
package engine

import (
	"context"
	"time"

	"github.com/killswitch-dev/killswitch/rules"
)

// Evaluator answers the decision query. *rules.PolicySet implements it.
type Evaluator interface {
	// Evaluate returns the decision for one input, with the revision of
	// the policy set that made it, or an error; a *rules.PolicyError
	// means the policy broke the contract.
	Evaluate(ctx context.Context, in rules.Input) (rules.Decision, error)
	// Revision identifies the policy set in force.
	Revision() string
}

// Clock tells the time; tests pass a fixed one.
type Clock func() time.Time

// Message is one payload from a source.
type Message struct {
	Topic     string
	Partition int
	Offset    int64
	Key       []byte
	Value     []byte
	Time      time.Time
}
