package engine

import (
	"context"

	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/signals"
)

// FormatSweep is the format of the signal that stands for a scheduled
// sweep's decision in the outbox and the audit trail.
const FormatSweep signals.Format = "sweep"

// RecordDecision takes a decision made outside the alert path (a
// scheduled sweep's, about the input in) down the rest of it: the
// guardrails plan its actions, and the signal that stands for it, its
// actions and its audit entries go to the outbox in one write, where the
// executor finds them as it finds an alert's. sig needs a DedupKey: a
// decision with the same key again plans nothing (Outcome.Duplicate).
func (p *Pipeline) RecordDecision(ctx context.Context, sig signals.Signal,
	in rules.Input, dec rules.Decision) (Outcome, error) {
	now := p.clock().UTC()
	out, err := p.plan(ctx, sig, in, dec, now)
	if err != nil {
		return Outcome{}, err
	}
	inserted, err := p.record(ctx, &out, in, now)
	if err != nil {
		return Outcome{}, err
	}
	out.Duplicate = !inserted
	return out, nil
}
