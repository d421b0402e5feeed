package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/killswitch-dev/killswitch/rules/replay"
	"github.com/killswitch-dev/killswitch/signals"
	"github.com/killswitch-dev/killswitch/store"
)

type policyBacktestFlags struct {
	replayFlags
	candidate string
	alerts    string
	from, to  string
	output    outputFlag
	all       bool
}

func newPolicyBacktestCmd(g *globals) *cobra.Command {
	f := &policyBacktestFlags{output: "text"}
	cmd := &cobra.Command{
		Use:   "backtest --candidate DIR (--alerts DIR | --from DATE --to DATE)",
		Short: "Replay past alerts against a candidate policy next to the one in force",
		Long: "backtest evaluates each alert twice, with the policy in force " +
			"(--policies, default the shipped library) and with the " +
			"candidate, plans both, and reports per alert which principals, " +
			"sessions and credentials each would cut, and the differences. " +
			"Alerts are the files in --alerts, or the signals the registry " +
			"at --store recorded between --from and --to (event time; " +
			"RFC 3339 or YYYY-MM-DD). Nothing is executed.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return policyBacktest(cmd.Context(), g, f)
		},
	}
	fl := cmd.Flags()
	f.add(fl)
	fl.StringVar(&f.candidate, "candidate", "", "candidate policy directory or bundle (required)")
	fl.StringVar(&f.alerts, "alerts", "", "directory of alert files to replay")
	fl.StringVar(&f.from, "from", "", "stored signals from this time on")
	fl.StringVar(&f.to, "to", "", "stored signals before this time")
	fl.BoolVar(&f.all, "all", false, "show alerts on which both agree too")
	fl.StringVarP((*string)(&f.output), "output", "o", "text", "output: text or json")
	cmd.MarkFlagRequired("candidate")
	return cmd
}

func policyBacktest(ctx context.Context, g *globals, f *policyBacktestFlags) error {
	if err := f.output.validate(); err != nil {
		return err
	}
	now, err := f.evalTime()
	if err != nil {
		return err
	}
	current, err := loadPolicyPath(ctx, f.policies)
	if err != nil {
		return fmt.Errorf("policy in force: %w", err)
	}
	candidate, err := loadPolicyPath(ctx, f.candidate)
	if err != nil {
		return fmt.Errorf("candidate: %w", err)
	}
	reg, closeReg, err := f.registry(ctx, g, now)
	if err != nil {
		return err
	}
	defer closeReg()
	entries, err := f.entries(ctx, reg, now)
	if err != nil {
		return err
	}
	comps, err := replay.Replayer{Registry: reg}.Backtest(ctx, current, candidate, entries)
	if err != nil {
		return err
	}
	if f.output == "json" {
		return printJSON(g.out, comps)
	}
	printBacktest(g.out, comps, f.all)
	return nil
}

// entries are the alert files, or the stored signals in the window.
func (f *policyBacktestFlags) entries(ctx context.Context, reg any,
	now time.Time) ([]replay.Entry, error) {
	if f.alerts != "" {
		mappings, err := loadSignalMappings(f.signalMappings)
		if err != nil {
			return nil, err
		}
		return alertEntries(f.alerts, now, mappings)
	}
	outbox, ok := reg.(store.Outbox)
	if !ok || f.inventory != "" {
		return nil, &exitError{code: 2, err: fmt.Errorf("stored signals need " +
			"the registry at --store; with --inventory give --alerts DIR")}
	}
	from, err := parseDay("--from", f.from)
	if err != nil {
		return nil, err
	}
	to, err := parseDay("--to", f.to)
	if err != nil {
		return nil, err
	}
	return replay.StoredSignals(ctx, outbox, from, to)
}

func parseDay(flag, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339, time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, &exitError{code: 2,
		err: fmt.Errorf("%s: %q is not RFC 3339 or YYYY-MM-DD", flag, s)}
}

// alertEntries decodes every .json file in dir; one that does not decode
// stops the backtest, naming it, and a dir with none is refused rather
// than replayed as nothing.
func alertEntries(dir string, now time.Time,
	m *signals.Mappings) ([]replay.Entry, error) {
	names, err := alertFiles(dir)
	if err != nil {
		return nil, err
	}
	out := make([]replay.Entry, 0, len(names))
	for _, name := range names {
		sig, err := readSignal(name, m)
		if err != nil {
			return nil, fmt.Errorf("backtest: %w", err)
		}
		out = append(out, replay.Entry{Source: name, Signal: sig, Now: now})
	}
	return out, nil
}

// alertFiles lists the .json files in dir, sorted.
func alertFiles(dir string) ([]string, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, &exitError{code: 2, err: fmt.Errorf("--alerts: %w", err)}
	}
	names, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, &exitError{code: 2, err: fmt.Errorf("--alerts: no "+
			".json alert file in %s (its subdirectories are not read)", dir)}
	}
	slices.Sort(names)
	return names, nil
}

func printBacktest(w io.Writer, comps []replay.Comparison, all bool) {
	differ := 0
	for _, c := range comps {
		if !c.Differs() {
			if all {
				fmt.Fprintf(w, "= %s: both cut %s\n", c.Source, c.Current.Cut)
			}
			continue
		}
		differ++
		printComparison(w, c)
	}
	fmt.Fprintf(w, "%d alert(s), %d decided differently\n", len(comps), differ)
}

func printComparison(w io.Writer, c replay.Comparison) {
	fmt.Fprintf(w, "~ %s (%s %s)\n", c.Source, c.Signal.Format, c.Signal.Category)
	printOutcome(w, "in force ", c.Current)
	printOutcome(w, "candidate", c.Candidate)
	if !c.Added.Empty() {
		fmt.Fprintf(w, "    + only the candidate cuts: %s\n", c.Added)
	}
	if !c.Removed.Empty() {
		fmt.Fprintf(w, "    - only the policy in force cuts: %s\n", c.Removed)
	}
}

func printOutcome(w io.Writer, label string, o replay.Outcome) {
	if o.Error != "" {
		fmt.Fprintf(w, "    %s: error: %s\n", label, oneLine(o.Error))
		return
	}
	fmt.Fprintf(w, "    %s: cuts %s\n", label, o.Cut)
	for _, a := range o.Actions {
		fmt.Fprintf(w, "      %s\n", oneLine(a))
	}
}
