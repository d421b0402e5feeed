package replay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/signals"
	"github.com/killswitch-dev/killswitch/store"
)

// Entry is one signal to backtest, with where it came from and the time
// to evaluate it at.
type Entry struct {
	// Source is the alert file, or "signal <id>" for a stored one.
	Source string
	Signal signals.Signal
	Now    time.Time
}

// Outcome is what one policy set would do about one signal.
type Outcome struct {
	Cut  Impact `json:"cut"`
	Held Impact `json:"held"`
	// Actions are one line per planned action ("revoke_sessions
	// principal:alice scope=all rule=threat").
	Actions []string `json:"actions"`
	// Error is the policy error, when the set could not decide.
	Error string `json:"error,omitempty"`
}

// Comparison is one signal under the policy in force and the candidate.
type Comparison struct {
	Source    string         `json:"source"`
	Signal    signals.Signal `json:"signal"`
	Current   Outcome        `json:"current"`
	Candidate Outcome        `json:"candidate"`
	// Added is what only the candidate cuts; Removed what only the
	// policy in force cuts.
	Added   Impact `json:"added"`
	Removed Impact `json:"removed"`
}

// Differs reports whether the two sets would act differently.
func (c Comparison) Differs() bool {
	return !c.Added.Empty() || !c.Removed.Empty() ||
		c.Current.Error != c.Candidate.Error ||
		!slices.Equal(c.Current.Actions, c.Candidate.Actions)
}

// Backtest replays every entry against current and candidate and
// compares what each would cut. Nothing is executed. A policy error is
// reported in the outcome; any other error stops the backtest.
func (r Replayer) Backtest(ctx context.Context, current, candidate engine.Evaluator,
	entries []Entry) ([]Comparison, error) {
	out := make([]Comparison, 0, len(entries))
	for _, e := range entries {
		c := Comparison{Source: e.Source, Signal: e.Signal}
		var err error
		if c.Current, err = r.outcome(ctx, current, e); err != nil {
			return nil, err
		}
		if c.Candidate, err = r.outcome(ctx, candidate, e); err != nil {
			return nil, err
		}
		c.Added = c.Candidate.Cut.Minus(c.Current.Cut)
		c.Removed = c.Current.Cut.Minus(c.Candidate.Cut)
		out = append(out, c)
	}
	return out, nil
}

func (r Replayer) outcome(ctx context.Context, ev engine.Evaluator, e Entry) (Outcome, error) {
	res, err := r.Replay(ctx, ev, e.Signal, e.Now)
	var pe *rules.PolicyError
	if errors.As(err, &pe) {
		return Outcome{Error: pe.Error()}, nil
	}
	if err != nil {
		return Outcome{}, fmt.Errorf("backtest %s: %w", e.Source, err)
	}
	o := Outcome{Cut: res.Cut, Held: res.Held, Actions: []string{}}
	for _, p := range res.Actions {
		o.Actions = append(o.Actions, Line(p.Action))
	}
	return o, nil
}

// Line renders a planned action on one line, as policy cases spell
// expected actions: kind, target, then scope, rule and mode when set, and
// the state when it would not run ("skipped: monitor mode").
func Line(a store.Action) string {
	var params struct {
		TTL string `json:"ttl"`
	}
	_ = json.Unmarshal(a.Params, &params)
	s := ActionLine(rules.Action{Kind: a.Kind, Scope: a.Scope, Rule: a.Policy,
		TTL: params.TTL, Target: rules.Target{Type: a.TargetType, ID: a.TargetID}})
	if a.State == store.ActionSkipped {
		s += " (skipped: " + a.LastError + ")"
	}
	return s
}

// ActionLine renders a decision's action on one line:
// "revoke_sessions principal:alice scope=all rule=threat mode=monitor".
func ActionLine(a rules.Action) string {
	s := a.Kind + " " + a.Target.Type + ":" + a.Target.ID
	if a.Scope != "" {
		s += " scope=" + a.Scope
	}
	if a.TTL != "" {
		s += " ttl=" + a.TTL
	}
	if a.Rule != "" {
		s += " rule=" + a.Rule
	}
	if a.Mode == rules.ModeMonitor {
		s += " mode=monitor"
	}
	return s
}

// StoredSignals lists the signals the registry recorded whose event time
// is within [from, to) (a zero bound is open), oldest first, each to be
// evaluated at the time it was received.
func StoredSignals(ctx context.Context, st store.Outbox, from, to time.Time) ([]Entry, error) {
	recs, err := st.ListSignals(ctx, 0)
	if err != nil {
		return nil, fmt.Errorf("list stored signals: %w", err)
	}
	var out []Entry
	for _, rec := range slices.Backward(recs) {
		if !from.IsZero() && rec.Time.Before(from) || !to.IsZero() && !rec.Time.Before(to) {
			continue
		}
		var sig signals.Signal
		if err := json.Unmarshal(rec.Signal, &sig); err != nil {
			return nil, fmt.Errorf("stored signal %s: %w", rec.ID, err)
		}
		out = append(out, Entry{Source: "signal " + rec.ID, Signal: sig,
			Now: rec.ReceivedAt})
	}
	return out, nil
}
