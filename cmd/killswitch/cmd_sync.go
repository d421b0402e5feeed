package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/killswitch-dev/killswitch/inventorysync"
)

type syncFlags struct {
	configPath string
	output     outputFlag
}

func newSyncCmd(g *globals) *cobra.Command {
	f := &syncFlags{}
	cmd := &cobra.Command{
		Use:   "sync [CONNECTOR]",
		Short: "Pull sessions and credentials from the providers into the registry",
		Long: "sync asks every configured connector that can list (or only " +
			"the one whose provider is named) what each principal of the " +
			"registry holds there: it adds sessions and credentials the " +
			"registry lacks, refreshes their times, marks those the " +
			"provider no longer lists as expired, and attaches the " +
			"provider's identifiers as aliases.\n\n" +
			"It exits 1 when a provider failed to list some principal.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			provider := ""
			if len(args) == 1 {
				provider = args[0]
			}
			return runSync(cmd, g, f, provider)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.configPath, "config", "",
		"config file (YAML) with a connectors section")
	fl.StringVarP((*string)(&f.output), "output", "o", "text",
		"output format: text or json")
	return cmd
}

func runSync(cmd *cobra.Command, g *globals, f *syncFlags, provider string) error {
	if err := f.output.validate(); err != nil {
		return err
	}
	ctx := cmd.Context()
	log, err := g.logger()
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	conns, err := buildConnectors(f.configPath, log)
	if err != nil {
		return err
	}
	st, err := g.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	s := inventorysync.New(st, conns, systemClock, log)
	if len(s.Providers()) == 0 {
		return &exitError{code: 2, err: fmt.Errorf("sync: no configured " +
			"connector can list; name some in --config")}
	}
	reports, err := s.Sync(ctx, provider)
	if perr := printSync(g, f.output, reports); err == nil {
		err = perr
	}
	if err != nil {
		return err
	}
	return syncFailures(reports)
}

// printSync writes one line, or one JSON object, per provider.
func printSync(g *globals, out outputFlag, reports []inventorysync.Report) error {
	if out == "json" {
		return printJSON(g.out, reports)
	}
	tw := table(g.out, "PROVIDER", "PRINCIPALS", "ADDED", "REFRESHED",
		"ENDED", "STILL LISTED", "ALIASES", "FAILURES")
	for _, r := range reports {
		row(tw, r.Provider, r.Principals, r.Added, r.Refreshed, r.Ended,
			r.StillListed, r.Aliases, len(r.Failures))
	}
	return tw.Flush()
}

// syncFailures is an exit error when some principal could not be listed.
func syncFailures(reports []inventorysync.Report) error {
	n := 0
	for _, r := range reports {
		n += len(r.Failures)
	}
	if n == 0 {
		return nil
	}
	return &exitError{code: 1, err: fmt.Errorf("sync: %d principals "+
		"could not be listed (see the log)", n)}
}
