// Package replay evaluates alerts against a policy set as the engine
// does — decode, resolve and enrich from a registry, evaluate, plan under
// the guardrails — and reports every principal, session and credential
// each planned action would cut, without executing anything. The policy
// CLI (eval, test, backtest) and the data-driven policy cases use it.
//
// It sits above engine (it reuses engine.Enrich and engine.Guardrails so
// that what it shows is what the engine would do); nothing below it
// imports it.
package replay

import (
	"context"
	"fmt"
	"time"

	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/signals"
	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/inventory"
	"github.com/killswitch-dev/killswitch/store/sqlite"
)

// Result is one signal replayed against one policy set.
type Result struct {
	Signal   signals.Signal `json:"signal"`
	Input    rules.Input    `json:"input"`
	Revision string         `json:"policy_revision"`
	Decision rules.Decision `json:"decision"`
	// Actions are the planned actions with what each would touch.
	Actions []Planned `json:"actions"`
	// Cut is what the actions that would run (pending or awaiting
	// approval) would cut, together.
	Cut Impact `json:"cut"`
	// Held is what the skipped actions (monitor mode, dry run,
	// break-glass, protected) would have cut.
	Held Impact `json:"held"`
}

// Planned is one planned action and what executing it would touch.
type Planned struct {
	Action  store.Action `json:"action"`
	Touches Impact       `json:"touches"`
}

// Runs reports whether the engine would execute the action: it is
// pending, or waits for a person to approve it.
func (p Planned) Runs() bool {
	s := p.Action.State
	return s == store.ActionPending || s == store.ActionAwaitingApproval
}

// Replayer replays signals against a registry.
type Replayer struct {
	// Registry is what resolution and enrichment read, and where the
	// targets are resolved.
	Registry engine.Registry
	// Guard are the guardrails planning applies.
	Guard engine.Guardrails
}

// Replay builds the signal's input at now, evaluates it with ev and plans
// the decision. A policy fault is a *rules.PolicyError (wrapped), with
// the Result holding the input that caused it.
func (r Replayer) Replay(ctx context.Context, ev engine.Evaluator,
	sig signals.Signal, now time.Time) (Result, error) {
	now = now.UTC()
	in, err := engine.Enrich(ctx, r.Registry, sig, now)
	if err != nil {
		return Result{}, fmt.Errorf("enrich signal %s: %w", sig.DedupKey, err)
	}
	sig = in.Signal
	res := Result{Signal: sig, Input: in, Revision: ev.Revision()}
	res.Decision, err = ev.Evaluate(ctx, in)
	if err != nil {
		return res, err
	}
	g, dec, err := r.Guard.ByAlias(ctx, r.Registry, in, res.Decision)
	if err != nil {
		return res, fmt.Errorf("guard signal %s: %w", sig.DedupKey, err)
	}
	acts := g.Plan("sig_replay", sig, in, dec, res.Revision, now)
	for _, a := range acts {
		p := Planned{Action: a}
		if p.Touches, err = r.touches(ctx, a); err != nil {
			return res, err
		}
		res.add(p)
	}
	return res, nil
}

func (res *Result) add(p Planned) {
	res.Actions = append(res.Actions, p)
	if p.Runs() {
		res.Cut = res.Cut.union(p.Touches)
	} else {
		res.Held = res.Held.union(p.Touches)
	}
}

// OpenInventory imports an inventory file into a private in-memory
// registry, its relative times counted from now. Close it when done.
func OpenInventory(ctx context.Context, path string, now time.Time) (*sqlite.Store, error) {
	f, err := inventory.Load(path)
	if err != nil {
		return nil, err
	}
	return importInto(ctx, f, now)
}

// ParseInventory is OpenInventory on an inventory document; name says
// where it came from in errors.
func ParseInventory(ctx context.Context, data []byte, name string,
	now time.Time) (*sqlite.Store, error) {
	f, err := inventory.Parse(data, name)
	if err != nil {
		return nil, err
	}
	return importInto(ctx, f, now)
}

func importInto(ctx context.Context, f *inventory.File, now time.Time) (*sqlite.Store, error) {
	st, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		return nil, err
	}
	if _, err := f.Import(ctx, st, now); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}
