package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/rules/replay"
)

type policyEvalFlags struct {
	replayFlags
	signal  string
	explain bool
	output  outputFlag
}

// evalReport is what `policy eval -o json` prints.
type evalReport struct {
	replay.Result
	Fired []rules.Fired `json:"fired,omitempty"`
}

func newPolicyEvalCmd(g *globals) *cobra.Command {
	f := &policyEvalFlags{output: "text"}
	cmd := &cobra.Command{
		Use:   "eval --signal FILE",
		Short: "Evaluate one alert and show what would be cut, and why",
		Long: "eval decodes the alert, builds the input the engine would " +
			"build from the registry (or --inventory), evaluates the " +
			"decision and plans it under the guardrails. It prints the " +
			"input, the decision, each planned action with every session " +
			"and credential it would touch, and with --explain the rules " +
			"that fired and the conditions that held (file:line). Nothing " +
			"is executed.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return policyEval(cmd, g, f)
		},
	}
	fl := cmd.Flags()
	f.add(fl)
	fl.StringVar(&f.signal, "signal", "", "alert file to evaluate (required)")
	fl.BoolVar(&f.explain, "explain", false, "show the rules that fired and why")
	fl.StringVarP((*string)(&f.output), "output", "o", "text", "output: text or json")
	cmd.MarkFlagRequired("signal")
	return cmd
}

func policyEval(cmd *cobra.Command, g *globals, f *policyEvalFlags) error {
	ctx := cmd.Context()
	if err := f.output.validate(); err != nil {
		return err
	}
	now, err := f.evalTime()
	if err != nil {
		return err
	}
	mappings, err := loadSignalMappings(f.signalMappings)
	if err != nil {
		return err
	}
	sig, err := readSignal(f.signal, mappings)
	if err != nil {
		return err
	}
	ps, err := loadPolicyPath(ctx, f.policies)
	if err != nil {
		return err
	}
	reg, closeReg, err := f.registry(ctx, g, now)
	if err != nil {
		return err
	}
	defer closeReg()
	res, err := replay.Replayer{Registry: reg}.Replay(ctx, ps, sig, now)
	if err != nil {
		return err
	}
	rep := evalReport{Result: res}
	if f.explain {
		if _, rep.Fired, err = ps.Explain(ctx, res.Input); err != nil {
			return err
		}
	}
	if f.output == "json" {
		return printJSON(g.out, rep)
	}
	return printEval(g.out, rep)
}

func printEval(w io.Writer, rep evalReport) error {
	fmt.Fprintln(w, "Input:")
	b, err := jsonIndent(rep.Input)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, indentLines(string(b), "  "))
	d := rep.Decision
	fmt.Fprintf(w, "\nDecision (policy %s): severity %s, requires approval %v, %d action(s)\n",
		short(rep.Revision), orDash(d.Severity), d.RequiresApproval, len(d.Actions))
	printPlanned(w, rep.Actions)
	fmt.Fprintf(w, "\nWould cut: %s\n", rep.Cut)
	if !rep.Held.Empty() {
		fmt.Fprintf(w, "Held back (not executed): %s\n", rep.Held)
	}
	if rep.Fired != nil {
		printFired(w, rep.Fired)
	}
	return nil
}

func printPlanned(w io.Writer, planned []replay.Planned) {
	for i, p := range planned {
		a := p.Action
		state := a.State
		if a.LastError != "" {
			state += " (" + a.LastError + ")"
		}
		fmt.Fprintf(w, "  %d. %s\n     state: %s\n     reason: %s\n     touches: %s\n",
			i+1, oneLine(replay.Line(a)), oneLine(state), oneLine(a.Reason),
			oneLine(p.Touches.String()))
	}
}

func printFired(w io.Writer, fired []rules.Fired) {
	fmt.Fprintln(w, "\nRules that fired:")
	for _, f := range fired {
		times := ""
		if f.Times > 1 {
			times = fmt.Sprintf(" (%d times)", f.Times)
		}
		fmt.Fprintf(w, "  %s:%d %s%s\n      %s\n", f.File, f.Row, f.Rule, times, f.Head)
		for _, c := range f.Because {
			fmt.Fprintf(w, "      because %s\n", c)
		}
	}
}

func jsonIndent(v any) ([]byte, error) {
	var b strings.Builder
	if err := printJSON(&b, v); err != nil {
		return nil, err
	}
	return []byte(strings.TrimRight(b.String(), "\n")), nil
}

func indentLines(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
