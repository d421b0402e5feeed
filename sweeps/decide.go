package sweeps

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/signals"
	"github.com/killswitch-dev/killswitch/store"
)

// CategorySweep is the category of the signal that stands for a sweep's
// decision.
const CategorySweep signals.Category = "sweep"

// drainLimit bounds how many outbox batches a sweep works after planning;
// what is left is the running engine's.
const drainLimit = 100

// inputFor is the policy input about one principal: it, its live
// sessions, its credentials with their ages (and, from validity, what
// their issuer said), and the locks in force.
func (d *Deps) inputFor(ctx context.Context, principalID string,
	now time.Time, validity map[string]store.Validity) (rules.Input, error) {
	p, err := d.Store.GetPrincipal(ctx, principalID)
	if err != nil {
		return rules.Input{}, err
	}
	in := rules.Input{Now: now, Unresolved: []signals.Subject{},
		Principals: []rules.Principal{{Principal: p,
			MatchedBy: []signals.Subject{}}}}
	in.Sessions, err = d.Store.ListSessions(ctx, store.SessionFilter{
		PrincipalID: principalID, Status: store.StatusActive})
	if err != nil {
		return rules.Input{}, fmt.Errorf("sessions of %s: %w", principalID, err)
	}
	creds, err := d.Store.ListCredentials(ctx,
		store.CredentialFilter{PrincipalID: principalID})
	if err != nil {
		return rules.Input{}, fmt.Errorf("credentials of %s: %w", principalID, err)
	}
	in.Credentials = make([]rules.Credential, 0, len(creds))
	for _, c := range creds {
		in.Credentials = append(in.Credentials, withAges(c, now, validity[c.ID]))
	}
	in.Locks, err = d.Store.ListLocks(ctx, now)
	if err != nil {
		return rules.Input{}, fmt.Errorf("locks: %w", err)
	}
	in.Sessions, in.Locks = nonNil(in.Sessions), nonNil(in.Locks)
	return in, nil
}

// withAges derives the ages a policy compares against, as the engine
// does for an alert; the first exposure is the ledger's earliest.
func withAges(c store.Credential, now time.Time, v store.Validity) rules.Credential {
	rc := rules.Credential{Credential: c, AgeDays: days(now.Sub(c.CreatedAt)),
		DaysSinceExposure: -1, Validity: v}
	if c.Exposure != nil {
		rc.DaysSinceExposure = days(now.Sub(c.Exposure.At))
	}
	return rc
}

// days is whole days, rounded down, never negative.
func days(d time.Duration) int {
	return int(max(d, 0) / (24 * time.Hour))
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// decide asks the sweep policy about in and takes its decision down the
// engine's path. The signal standing for it is keyed by the run and key,
// so a run plans each decision once. With findByActions, each target the
// decision acts on is a finding.
func (d *Deps) decide(ctx context.Context, r *Report, key string,
	in rules.Input, findByActions bool) error {
	in.Signal = signals.Signal{Format: engine.FormatSweep,
		Category: CategorySweep, Type: r.Sweep, Severity: signals.SeverityInfo,
		Time: in.Now, DedupKey: "sweep:" + r.Sweep + ":" + r.RunID + ":" + key,
		Subjects: []signals.Subject{}}
	dec, err := d.Policies.EvaluateSweep(ctx, in)
	if err != nil {
		return fmt.Errorf("evaluate the sweep decision about %s: %w", key, err)
	}
	out, err := d.Pipeline.RecordDecision(ctx, in.Signal, in, dec)
	if err != nil {
		return fmt.Errorf("plan the sweep decision about %s: %w", key, err)
	}
	seen := map[string]bool{}
	for _, a := range out.Actions {
		target := a.TargetType + ":" + a.TargetID
		r.Planned++
		r.Actions = append(r.Actions, ActionOf{ID: a.ID, Kind: a.Kind,
			Target: target, State: a.State, Reason: a.Reason})
		if findByActions && !seen[target] {
			seen[target] = true
			r.find(target, "%s", a.Reason)
		}
	}
	return nil
}

// execute works the outbox so that the planned actions are carried out
// now, then reads back how each ended.
func (d *Deps) execute(ctx context.Context, r *Report) error {
	if r.Planned > 0 && d.Executor != nil {
		for range drainLimit {
			n, err := d.Executor.RunOnce(ctx)
			if err != nil {
				r.fail("work the outbox: %v", err)
				break
			}
			if n == 0 || ctx.Err() != nil {
				break
			}
		}
	}
	for i, a := range r.Actions {
		got, err := d.Store.GetAction(ctx, a.ID)
		if err != nil {
			return fmt.Errorf("read action %s: %w", a.ID, err)
		}
		r.Actions[i].State, r.Actions[i].Error = got.State, got.LastError
		r.count(got.State)
	}
	return nil
}

func (r *Report) count(state string) {
	switch state {
	case store.ActionDone:
		r.Done++
	case store.ActionFailed:
		r.Failed++
	case store.ActionSkipped:
		r.Skipped++
	default:
		r.Pending++
	}
}

// policySweep is a sweep that asks the sweep policy about each principal
// that principals picks, and carries out what it decides.
func policySweep(principals func(context.Context, *Deps,
	*Report) ([]string, error)) func(context.Context, *Deps, *Report) error {
	return func(ctx context.Context, d *Deps, r *Report) error {
		ids, err := principals(ctx, d, r)
		if err != nil {
			return err
		}
		now := d.Clock.Now()
		for _, id := range ids {
			in, err := d.inputFor(ctx, id, now, nil)
			if err != nil {
				return err
			}
			if err := d.decide(ctx, r, "principal:"+id, in, true); err != nil {
				return err
			}
		}
		return d.execute(ctx, r)
	}
}

// principalsWithCredentials picks the principals with active
// credentials, counting those as examined.
func principalsWithCredentials(ctx context.Context, d *Deps, r *Report) ([]string, error) {
	cs, err := d.Store.ListCredentials(ctx,
		store.CredentialFilter{Status: store.StatusActive})
	if err != nil {
		return nil, err
	}
	r.Examined += len(cs)
	return owners(cs, func(c store.Credential) string { return c.PrincipalID }), nil
}

// principalsWithSessions picks the principals with live sessions,
// counting those as examined.
func principalsWithSessions(ctx context.Context, d *Deps, r *Report) ([]string, error) {
	ss, err := d.Store.ListSessions(ctx,
		store.SessionFilter{Status: store.StatusActive})
	if err != nil {
		return nil, err
	}
	r.Examined += len(ss)
	return owners(ss, func(s store.Session) string { return s.PrincipalID }), nil
}

// owners is the sorted distinct owners of xs.
func owners[T any](xs []T, owner func(T) string) []string {
	var ids []string
	for _, x := range xs {
		ids = append(ids, owner(x))
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}
