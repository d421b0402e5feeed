package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/store"
)

// print writes, for each file sent, what the engine decided and did, then
// a summary checked against the registry, the audit chain and the DLQ.
func (d *demoRun) print(ctx context.Context, files []string, payloads [][]byte) error {
	used := make([]bool, len(d.reports))
	for i, f := range files {
		r, ok := d.reportFor(payloads[i], used)
		fmt.Fprintf(d.g.out, "── %s\n", filepath.Base(f))
		if !ok {
			fmt.Fprintln(d.g.out, "   (no report from the engine)")
			continue
		}
		if err := d.printReport(ctx, r); err != nil {
			return err
		}
	}
	return d.printSummary(ctx)
}

// reportFor finds the first unused report for a payload, in send order.
func (d *demoRun) reportFor(payload []byte, used []bool) (engine.Report, bool) {
	for i, r := range d.reports {
		if !used[i] && bytes.Equal(r.Message.Value, payload) {
			used[i] = true
			return r, true
		}
	}
	return engine.Report{}, false
}

func (d *demoRun) printReport(ctx context.Context, r engine.Report) error {
	w := d.g.out
	if r.Poison != nil {
		fmt.Fprintf(w, "   dead-lettered (%s): %v\n\n", r.Poison.Code, r.Poison.Err)
		return nil
	}
	o := r.Outcome
	fmt.Fprintf(w, "   %s · %s · %s · %s\n", o.Signal.Format, o.Signal.Category,
		o.Signal.Severity, o.Signal.DedupKey)
	if o.Duplicate {
		fmt.Fprintln(w, "   duplicate of an alert already processed: nothing done again")
		fmt.Fprintln(w)
		return nil
	}
	fmt.Fprintf(w, "   principals: %s\n", principalsText(o))
	acts, err := d.store.ListActions(ctx, store.ActionFilter{SignalID: o.SignalID})
	if err != nil {
		return err
	}
	if len(acts) == 0 {
		fmt.Fprintf(w, "   decision: no action%s\n", noActionWhy(o))
	}
	for _, a := range acts {
		printAction(d, a)
	}
	fmt.Fprintln(w)
	return nil
}

func principalsText(o engine.Outcome) string {
	if len(o.Input.Principals) == 0 {
		return "none in the registry"
	}
	parts := make([]string, 0, len(o.Input.Principals))
	for _, p := range o.Input.Principals {
		s := fmt.Sprintf("%s (%s)", p.ID, p.Kind)
		if p.BreakGlass {
			s += " [break-glass]"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

// noActionWhy explains an empty decision where the input shows why.
func noActionWhy(o engine.Outcome) string {
	for _, p := range o.Input.Principals {
		if p.BreakGlass {
			return " (break-glass principals are never acted on automatically)"
		}
	}
	if len(o.Input.Principals) == 0 {
		return " (no subject of the alert is in the registry)"
	}
	return ""
}

func printAction(d *demoRun, a store.Action) {
	w := d.g.out
	fmt.Fprintf(w, "   %s %s:%s → %s%s\n", a.Kind, a.TargetType, a.TargetID,
		a.State, resultText(a))
	fmt.Fprintf(w, "      why: %s\n", oneLine(a.Reason))
	if a.LastError != "" {
		fmt.Fprintf(w, "      note: %s\n", oneLine(a.LastError))
	}
}

// resultText summarises an action's result: the sessions it revoked.
func resultText(a store.Action) string {
	var res struct {
		Sessions []string `json:"sessions"`
	}
	if len(a.Result) == 0 || json.Unmarshal(a.Result, &res) != nil {
		return ""
	}
	if a.Kind == "revoke_sessions" {
		if len(res.Sessions) == 0 {
			return " (no live session)"
		}
		return ": " + strings.Join(res.Sessions, ", ")
	}
	return ""
}

func (d *demoRun) printSummary(ctx context.Context) error {
	w := d.g.out
	revoked, err := d.store.ListSessions(ctx, store.SessionFilter{Status: store.StatusRevoked})
	if err != nil {
		return err
	}
	active, err := d.store.ListSessions(ctx, store.SessionFilter{Status: store.StatusActive})
	if err != nil {
		return err
	}
	creds, err := d.store.ListCredentials(ctx, store.CredentialFilter{Status: store.StatusRevoked})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "registry: %d session(s) revoked, %d still active; %d credential(s) revoked\n",
		len(revoked), len(active), len(creds))
	dead, err := d.deadLetters(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "dead-letter topic %s: %d message(s)\n", engine.DefaultDLQTopic, len(dead))
	n, err := store.VerifyAudit(ctx, d.store)
	if err != nil {
		return fmt.Errorf("audit chain: %w", err)
	}
	fmt.Fprintf(w, "audit: %d entries, hash chain intact\n", n)
	return nil
}
