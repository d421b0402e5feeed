package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/killswitch-dev/killswitch/rules"
)

func newPolicyCheckCmd(g *globals) *cobra.Command {
	out := outputFlag("text")
	cmd := &cobra.Command{
		Use:   "check DIR",
		Short: "Compile, type-check and lint a policy directory",
		Long: "check compiles every .rego file in OPA's strict mode, " +
			"type-checks each against the input schema, refuses http.send, " +
			"net.lookup_ip_addr and opa.runtime, compiles the tests, reads " +
			"the data documents, and lints: a decision without a default, " +
			"a mode for a rule no policy names, no tests. (OPA's regal " +
			"linter cannot be installed as a Go module here.) Exit 1 when " +
			"there is an error; warnings alone exit 0.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			found, err := rules.Check(cmd.Context(), os.DirFS(args[0]))
			if err != nil {
				return err
			}
			return reportFindings(g, args[0], found, out)
		},
	}
	cmd.Flags().StringVarP((*string)(&out), "output", "o", "text", "output: text or json")
	return cmd
}

func reportFindings(g *globals, dir string, found []rules.Finding, out outputFlag) error {
	errs := 0
	for _, f := range found {
		if f.Level == rules.LevelError {
			errs++
		}
	}
	if out == "json" {
		if err := printJSON(g.out, nonNilSlice(found)); err != nil {
			return err
		}
	} else {
		for _, f := range found {
			fmt.Fprintln(g.out, f)
		}
	}
	if errs > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%s: %d error(s)", dir, errs)}
	}
	if out == "text" {
		fmt.Fprintf(g.out, "%s: ok (%d warning(s))\n", dir, len(found))
	}
	return nil
}
