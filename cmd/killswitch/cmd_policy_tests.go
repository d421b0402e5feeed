package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/rules/cases"
)

type policyTestFlags struct {
	cases          string
	corpus         string
	signalMappings string
	coverage       bool
	verbose        bool
}

// testTally counts outcomes for the closing lines, and why cases were
// skipped, so that a skip is never silent.
type testTally struct {
	passed, failed, skipped int
	skipWhy                 map[string]int
}

func newPolicyTestCmd(g *globals) *cobra.Command {
	f := &policyTestFlags{}
	cmd := &cobra.Command{
		Use:   "test [DIR]",
		Short: "Run the Rego unit tests and the data-driven cases of a policy directory",
		Long: "test runs every test_ rule of the *_test.rego files with OPA's " +
			"tester, then every case in DIR/cases (YAML or JSON files: an " +
			"alert, the registry it meets, and the actions or policy error " +
			"expected), decoding each alert and building its input with the " +
			"engine's own enrichment (alerts of mapped formats through the " +
			"case file's signal_mappings, or else --signal-mappings). " +
			"A failing case prints the expected and " +
			"actual actions as a diff. DIR defaults to policies. Exit 1 when " +
			"anything fails.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "policies"
			if len(args) == 1 {
				dir = args[0]
			}
			return policyTest(cmd.Context(), g, dir, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.cases, "cases", "", "directory of case files (default DIR/cases)")
	fl.StringVar(&f.corpus, "corpus", "../shared/corpus",
		"the shared alert corpus that \"corpus:\" signals name")
	fl.StringVar(&f.signalMappings, "signal-mappings", "", signalMappingsUsage+
		"; for case files that name no signal_mappings of their own")
	fl.BoolVar(&f.coverage, "coverage", false, "report which policy lines ran")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "list passing tests and cases too")
	return cmd
}

func policyTest(ctx context.Context, g *globals, dir string, f *policyTestFlags) error {
	var cov *rules.Coverage
	var opts []rules.TestOption
	if f.coverage {
		cov = rules.NewCoverage()
		opts = append(opts, rules.WithCoverage(cov))
	}
	var tally testTally
	results, err := rules.RunTests(ctx, os.DirFS(dir), opts...)
	if err != nil {
		return err
	}
	printRegoResults(g.out, results, f.verbose, &tally)
	ps, err := loadForCases(ctx, dir, cov)
	if err != nil {
		return err
	}
	if err := runCases(ctx, g.out, ps, dir, f, &tally); err != nil {
		return err
	}
	if cov != nil {
		printCoverage(g.out, cov.Report(ps))
	}
	fmt.Fprintf(g.out, "%d passed, %d failed, %d skipped\n",
		tally.passed, tally.failed, tally.skipped)
	printSkipReasons(g.out, tally.skipWhy, f.corpus)
	if tally.failed > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d policy test(s) failed", tally.failed)}
	}
	return nil
}

func loadForCases(ctx context.Context, dir string, cov *rules.Coverage) (*rules.PolicySet, error) {
	if cov == nil {
		return rules.LoadDir(ctx, dir)
	}
	return rules.LoadDir(ctx, dir, rules.WithTracer(cov.Tracer()))
}

func printRegoResults(w io.Writer, results []rules.TestResult, verbose bool, t *testTally) {
	for _, r := range results {
		switch {
		case r.Skip:
			t.skipped++
		case r.Pass:
			t.passed++
			if verbose {
				fmt.Fprintf(w, "PASS %s:%d %s\n", r.File, r.Row, r.Name)
			}
		default:
			t.failed++
			fmt.Fprintf(w, "FAIL %s:%d %s\n  %s\n", r.File, r.Row, r.Name, r.Fail)
			if r.Output != "" {
				fmt.Fprintf(w, "  output:\n%s", indentLines(r.Output, "    "))
			}
		}
	}
}

func runCases(ctx context.Context, w io.Writer, ps *rules.PolicySet, dir string,
	f *policyTestFlags, t *testTally) error {
	caseDir := f.cases
	if caseDir == "" {
		caseDir = filepath.Join(dir, "cases")
		if _, err := os.Stat(caseDir); errors.Is(err, fs.ErrNotExist) {
			return nil
		}
	}
	files, err := cases.ReadDir(caseDir)
	if err != nil {
		return err
	}
	data, err := dataFiles(dir)
	if err != nil {
		return err
	}
	mappings, err := loadSignalMappings(f.signalMappings)
	if err != nil {
		return err
	}
	r := cases.Runner{Policies: ps, Data: data, CorpusDir: f.corpus,
		CI: os.Getenv("CI") == "true", Mappings: mappings}
	for _, res := range r.Run(ctx, files) {
		printCase(w, res, f.verbose, t)
	}
	return nil
}

func printCase(w io.Writer, res cases.Result, verbose bool, t *testTally) {
	switch {
	case res.Skip != "":
		t.skipped++
		if verbose {
			fmt.Fprintf(w, "SKIP %s: %s (%s)\n", res.File, res.Note, res.Skip)
			break
		}
		if t.skipWhy == nil {
			t.skipWhy = map[string]int{}
		}
		t.skipWhy[res.Skip]++
	case res.Pass:
		t.passed++
		if verbose {
			fmt.Fprintf(w, "PASS %s: %s\n", res.File, res.Note)
		}
	default:
		t.failed++
		fmt.Fprintf(w, "FAIL %s: %s\n%s\n", res.File, res.Note,
			indentLines(res.Failure, "  "))
	}
}

// printSkipReasons says, without -v, why cases were skipped: a policy
// author must not read "10 skipped" as nothing to worry about.
func printSkipReasons(w io.Writer, why map[string]int, corpus string) {
	reasons := make([]string, 0, len(why))
	for r := range why {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		fmt.Fprintf(w, "  %d case(s) skipped: %s\n", why[r], r)
		if strings.Contains(r, corpus) {
			fmt.Fprintf(w, "  give --corpus DIR to run them\n")
		}
	}
	if len(reasons) > 0 {
		fmt.Fprintf(w, "  (-v lists every test and case)\n")
	}
}

// dataFiles reads a policy directory's data documents, for cases that
// bring their own Rego.
func dataFiles(dir string) (map[string][]byte, error) {
	out := map[string][]byte{}
	fsys := os.DirFS(dir)
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !rules.IsDataFile(name) {
			return err
		}
		out[name], err = fs.ReadFile(fsys, name)
		return err
	})
	return out, err
}

func printCoverage(w io.Writer, r rules.CoverageReport) {
	fmt.Fprintln(w, "Coverage:")
	for _, f := range r.Files {
		fmt.Fprintf(w, "  %6.1f%%  %s", f.Percent, f.File)
		for i, m := range f.Missed {
			sep := ", "
			if i == 0 {
				sep = "  not run: "
			}
			if m.Start == m.End {
				fmt.Fprintf(w, "%s%d", sep, m.Start)
			} else {
				fmt.Fprintf(w, "%s%d-%d", sep, m.Start, m.End)
			}
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "  %6.1f%%  total\n", r.Percent)
}
