package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/store"
)

func newApprovalsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "approvals",
		Short: "List, approve and reject the actions a guardrail held back",
		Long: "Actions wait for approval when the policy asks for it or a " +
			"blast-radius budget is spent. approve lets one run (a running " +
			"`killswitch run` takes it up); reject skips it. Both are " +
			"audited with you as the actor.",
	}
	cmd.AddCommand(newApprovalsListCmd(g),
		newVerdictCmd(g, "approve", "Let a held action run", engine.Approve),
		newVerdictCmd(g, "reject", "Skip a held action", engine.Reject))
	return cmd
}

func newApprovalsListCmd(g *globals) *cobra.Command {
	out := outputFlag("text")
	var limit int
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the actions awaiting approval, oldest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			if err := checkLimit(limit); err != nil {
				return err
			}
			st, err := g.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			as, err := st.ListActions(cmd.Context(), store.ActionFilter{
				State: store.ActionAwaitingApproval, Limit: limit})
			if err != nil {
				return err
			}
			if err := printApprovals(g, out, as); err != nil || out == "json" {
				return err
			}
			noteNone(g, len(as), "no actions are waiting for approval")
			return nil
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 0, "at most this many (0: all)")
	cmd.Flags().StringVarP((*string)(&out), "output", "o", "text",
		"output format: text or json")
	return cmd
}

// verdictFunc is engine.Approve or engine.Reject.
type verdictFunc = func(ctx context.Context, st engine.ApprovalStore, id,
	operator, reason string, now time.Time) (store.Action, error)

func newVerdictCmd(g *globals, use, short string, decide verdictFunc) *cobra.Command {
	var reason, operator string
	out := outputFlag("text")
	cmd := &cobra.Command{
		Use:   use + " ACTION_ID",
		Short: short + " (audited with the operator and the reason)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			st, err := g.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			a, err := decide(cmd.Context(), st, args[0], operator, reason,
				systemClock())
			if errors.Is(err, engine.ErrBadRequest) {
				return &exitError{code: 2, err: err}
			}
			if err != nil {
				return err
			}
			return printApprovals(g, out, []store.Action{a})
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why (required; goes to the audit trail)")
	cmd.Flags().StringVar(&operator, "operator", currentUser(), "who decides")
	cmd.Flags().StringVarP((*string)(&out), "output", "o", "text",
		"output format: text or json")
	return cmd
}

func printApprovals(g *globals, out outputFlag, as []store.Action) error {
	if out == "json" {
		return printJSON(g.out, nonNilSlice(as))
	}
	tw := table(g.out, "ACTION", "KIND", "TARGET", "STATE", "POLICY", "WHY",
		"DEADLINE", "ON TIMEOUT", "CREATED")
	for _, a := range as {
		why := a.LastError
		if v := a.Verdict; v != nil {
			why = fmt.Sprintf("%s by %s: %s", v.Verdict, v.By, v.Reason)
		}
		row(tw, a.ID, a.Kind, a.TargetType+":"+a.TargetID, a.State,
			a.Policy, why, a.ApprovalDeadline, a.OnTimeout, a.CreatedAt)
	}
	return tw.Flush()
}
