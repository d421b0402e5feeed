package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/store"
)

// principalTimeline is the newest signals, decisions, actions and audit
// entries about the principal of v, its sessions and its credentials,
// newest first.
func principalTimeline(ctx context.Context, st store.Store,
	v principalView) ([]timelineItem, error) {
	acts, err := principalActions(ctx, st, v)
	if err != nil {
		return nil, err
	}
	items := make([]timelineItem, 0, len(acts))
	subjects := subjectsOf(v)
	seen := map[string]bool{}
	for _, a := range acts {
		items = append(items, actionItem(a))
		subjects = append(subjects, a.ID)
		if a.SignalID == "" || seen[a.SignalID] {
			continue
		}
		seen[a.SignalID] = true
		subjects = append(subjects, a.SignalID)
		sig, err := signalItems(ctx, st, a.SignalID)
		if err != nil {
			return nil, err
		}
		items = append(items, sig...)
	}
	audit, err := auditItems(ctx, st, subjects)
	if err != nil {
		return nil, err
	}
	items = append(items, audit...)
	slices.SortStableFunc(items, func(a, b timelineItem) int {
		return b.At.Compare(a.At)
	})
	return items[:min(len(items), timelineEntries)], nil
}

// subjectsOf are the audit subjects that name the principal of v, its
// sessions and its credentials.
func subjectsOf(v principalView) []string {
	id := v.Principal.ID
	out := []string{id, "principal:" + id}
	for _, c := range v.Credentials {
		out = append(out, c.ID, "credential:"+c.ID)
	}
	for _, s := range slices.Concat(v.Live, v.Recent) {
		out = append(out, s.ID)
	}
	return out
}

// principalActions are the actions on the principal, its credentials and
// its sessions, and those that revoked them.
func principalActions(ctx context.Context, st store.Store,
	v principalView) ([]store.Action, error) {
	targets := []string{v.Principal.ID}
	var revokers []string
	for _, c := range v.Credentials {
		targets = append(targets, c.ID)
		if r := c.Revocation; r != nil && r.ActionID != "" {
			revokers = append(revokers, r.ActionID)
		}
	}
	for _, s := range slices.Concat(v.Live, v.Recent) {
		targets = append(targets, s.ID)
		if r := s.Revocation; r != nil && r.ActionID != "" {
			revokers = append(revokers, r.ActionID)
		}
	}
	var acts []store.Action
	seen := map[string]bool{}
	for _, id := range targets {
		as, err := st.ListActions(ctx, store.ActionFilter{TargetID: id})
		if err != nil {
			return nil, err
		}
		for _, a := range as {
			seen[a.ID] = true
		}
		acts = append(acts, as...)
	}
	for _, id := range revokers {
		if seen[id] {
			continue
		}
		seen[id] = true
		a, err := st.GetAction(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		acts = append(acts, a)
	}
	return acts, nil
}

func actionItem(a store.Action) timelineItem {
	s := fmt.Sprintf("%s %s:%s %s (%s)", a.Kind, a.TargetType, a.TargetID,
		a.State, a.Reason)
	if a.LastError != "" {
		s += ": " + a.LastError
	}
	return timelineItem{At: a.CreatedAt, Kind: "action", ID: a.ID, Summary: s}
}

// signalItems are a signal and the decision made about it; none when the
// signal was pruned from the store.
func signalItems(ctx context.Context, st store.Store, id string) ([]timelineItem, error) {
	rec, err := st.GetSignal(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	sig := timelineItem{At: rec.ReceivedAt, Kind: "signal", ID: rec.ID,
		Summary: fmt.Sprintf("%s %s, severity %s", rec.Format,
			rec.Category, rec.Severity)}
	if len(rec.Decision) == 0 { // an operator's command decides nothing
		return []timelineItem{sig}, nil
	}
	dec := timelineItem{At: rec.ReceivedAt, Kind: "decision", ID: rec.ID,
		Summary: decisionSummary(rec)}
	return []timelineItem{dec, sig}, nil
}

// decisionSummary lists the actions a stored decision asked for.
func decisionSummary(rec store.SignalRecord) string {
	var d rules.Decision
	if err := json.Unmarshal(rec.Decision, &d); err != nil {
		return "decision not readable: " + err.Error()
	}
	kinds := make([]string, len(d.Actions))
	for i, a := range d.Actions {
		kinds[i] = a.Kind
		if a.Rule != "" {
			kinds[i] += " by " + a.Rule
		}
	}
	s := fmt.Sprintf("%d actions", len(d.Actions))
	if len(kinds) > 0 {
		s += ": " + strings.Join(kinds, ", ")
	}
	if rec.PolicyRevision != "" {
		s += " (policy " + short(rec.PolicyRevision) + ")"
	}
	return s
}

// auditItems are the newest audit entries about each subject.
func auditItems(ctx context.Context, st store.Store,
	subjects []string) ([]timelineItem, error) {
	var out []timelineItem
	seen := map[string]bool{}
	for _, subj := range subjects {
		if seen[subj] {
			continue
		}
		seen[subj] = true
		es, err := st.ListAudit(ctx, store.AuditFilter{Subject: subj,
			Latest: true, Limit: auditPerSubject})
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			s := e.Event + " " + e.Subject + " by " + e.Actor
			if d := jsonText(e.Details); d != "" {
				s += " " + d
			}
			out = append(out, timelineItem{At: e.Time, Kind: "audit",
				ID: fmt.Sprint(e.Seq), Summary: s})
		}
	}
	return out, nil
}
