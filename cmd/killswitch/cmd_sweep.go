package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/inventorysync"
	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/sweeps"
)

type sweepFlags struct {
	configPath  string
	policiesDir string
	dryRun      bool
	issuer      string
	output      outputFlag
}

func newSweepCmd(g *globals) *cobra.Command {
	f := &sweepFlags{}
	cmd := &cobra.Command{
		Use:   "sweep",
		Short: "Run the scheduled sweeps by hand, list them, read their reports",
		Long: "Sweeps find what no alert reports: exposed credentials still " +
			"valid, credentials and sessions past their limits, idle " +
			"sessions, stale locks. `killswitch run` runs them on the " +
			"schedules of the sweeps section of --config.",
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&f.configPath, "config", "",
		"config file (YAML): its connectors, guardrails and sweeps sections")
	pf.StringVarP((*string)(&f.output), "output", "o", "text",
		"output format: text or json")
	cmd.AddCommand(newSweepRunCmd(g, f), newSweepListCmd(g, f),
		newSweepReportCmd(g, f))
	return cmd
}

func newSweepRunCmd(g *globals, f *sweepFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "run NAME",
		Short: "Run one sweep now and print its report",
		Long: "run runs the sweep now, under its lease (it waits for no " +
			"other instance: while one runs the sweep, this fails, " +
			"whichever instance leads the scheduled sweeps), carries out what the sweep policy decided through the " +
			"guardrails and the outbox, and prints the report. It exits 1 " +
			"when the sweep failed or an action failed.",
		Example: "  killswitch sweep run exposed-still-valid --config killswitch.yaml",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSweepNow(cmd, g, f, args[0])
		},
	}
	cmd.Flags().StringVar(&f.policiesDir, "policies", "",
		"Rego policy directory or bundle; empty uses the shipped library")
	cmd.Flags().BoolVar(&f.dryRun, "dry-run", false,
		"plan and audit actions but execute none")
	addSSFIssuerFlag(cmd.Flags(), &f.issuer)
	return cmd
}

func runSweepNow(cmd *cobra.Command, g *globals, f *sweepFlags, name string) error {
	if err := f.output.validate(); err != nil {
		return err
	}
	if _, ok := sweeps.Lookup(name); !ok {
		return &exitError{code: 2, err: fmt.Errorf("sweep run: %q is not a "+
			"sweep (the sweeps: %v)", name, sweeps.Names())}
	}
	ctx := cmd.Context()
	log, err := g.logger()
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	cfg, conns, err := sweepConfig(f.configPath, log)
	if err != nil {
		return err
	}
	guard := engine.Guardrails{DryRun: f.dryRun}
	if err := loadGuardrails(f.configPath, &guard); err != nil {
		return &exitError{code: 2, err: err}
	}
	st, err := g.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := warnUnmatchedProtected(ctx, guard, st, log); err != nil {
		return err
	}
	pol, err := loadPolicies(ctx, f.policiesDir)
	if err != nil {
		return fmt.Errorf("load policies: %w", err)
	}
	tx, err := cliTransmitter(ctx, st, f.issuer, log)
	if err != nil {
		return err
	}
	pipe := engine.NewPipeline(st, pol, guard, systemClock, log)
	exec := engine.NewExecutor(st, conns, publishers(tx),
		engine.ExecutorConfig{Owner: "cli:" + instanceName()}, systemClock, log)
	runner := sweeps.NewRunner(sweepDeps(st, pol, pipe, exec, conns, cfg, log),
		instanceName())
	rep, err := runSweepSafely(ctx, runner, name, log)
	if rep != nil {
		if perr := printReport(g, f.output, rep); perr != nil {
			return perr
		}
	}
	if err == nil && rep.Failed > 0 {
		err = fmt.Errorf("%d action(s) failed", rep.Failed)
	}
	return err
}

// runSweepSafely runs a sweep by hand; a panic is the run's failure,
// logged with its stack.
func runSweepSafely(ctx context.Context, r *sweeps.Runner, name string,
	log *slog.Logger) (rep *sweeps.Report, err error) {
	defer func() {
		if v := recover(); v != nil {
			log.Error("sweep panicked", "sweep", name, "panic", fmt.Sprint(v),
				"stack", string(debug.Stack()))
			err = fmt.Errorf("sweep %s panicked: %v", name, v)
		}
	}()
	return r.Run(ctx, name, systemClock(), 0)
}

// sweepConfig reads the sweeps and connectors sections of --config.
func sweepConfig(path string, log *slog.Logger) (sweeps.Config,
	connectors.Set, error) {
	var cfg sweeps.Config
	if path != "" {
		var err error
		if cfg, err = sweeps.LoadConfig(path); err != nil {
			return cfg, nil, &exitError{code: 2, err: err}
		}
	}
	conns, err := buildConnectors(path, log)
	return cfg, conns, err
}

// sweepDeps wires the sweeps to the engine, the policies and the
// connectors.
func sweepDeps(st store.Store, pol sweeps.SweepEvaluator,
	pipe *engine.Pipeline, exec *engine.Executor, conns connectors.Set,
	cfg sweeps.Config, log *slog.Logger) sweeps.Deps {
	d := sweeps.Deps{Store: st, Policies: pol, Pipeline: pipe,
		Executor: exec, Connectors: conns, Clock: sweeps.SystemClock(),
		Log: log, LockWarning: time.Duration(cfg.LockWarning),
		RevocationLogKeep: time.Duration(cfg.RevocationLogKeep)}
	if s := inventorysync.New(st, conns, systemClock, log); len(s.Providers()) > 0 {
		d.Syncer = s
	}
	return d
}

// instanceName names this process in sweep leases and runs.
func instanceName() string {
	host, _ := os.Hostname()
	return host + ":" + strconv.Itoa(os.Getpid())
}

func printReport(g *globals, out outputFlag, rep *sweeps.Report) error {
	if out == "json" {
		return printJSON(g.out, rep)
	}
	return rep.WriteText(g.out)
}

func newSweepListCmd(g *globals, f *sweepFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the sweeps: schedule, last run, duration, outcome, next run",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.output.validate(); err != nil {
				return err
			}
			cfg := sweeps.Config{}
			if f.configPath != "" {
				var err error
				if cfg, err = sweeps.LoadConfig(f.configPath); err != nil {
					return &exitError{code: 2, err: err}
				}
			}
			st, err := g.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			rows, err := sweepRows(cmd.Context(), st, cfg, systemClock())
			if err != nil {
				return err
			}
			return printSweepRows(g, f.output, rows)
		},
	}
}

// sweepRow is one line of `sweep list`.
type sweepRow struct {
	Sweep    string    `json:"sweep"`
	Doc      string    `json:"doc"`
	Schedule string    `json:"schedule,omitempty"`
	TimeZone string    `json:"time_zone,omitempty"`
	LastRun  time.Time `json:"last_run,omitzero"`
	Duration string    `json:"duration,omitempty"`
	Outcome  string    `json:"outcome,omitempty"`
	Error    string    `json:"error,omitempty"`
	NextRun  time.Time `json:"next_run,omitzero"`
}

func sweepRows(ctx context.Context, st store.Store, cfg sweeps.Config,
	now time.Time) ([]sweepRow, error) {
	var rows []sweepRow
	for _, s := range sweeps.Shipped() {
		r := sweepRow{Sweep: s.Name, Doc: s.Doc}
		if jc, ok := cfg.Job(s.Name); ok {
			r.Schedule, r.TimeZone = jc.Schedule, jc.TimeZone
			if r.TimeZone == "" {
				r.TimeZone = "UTC"
			}
			sched, err := sweeps.ParseSchedule(jc.Schedule, jc.TimeZone)
			if err != nil {
				return nil, err
			}
			r.NextRun = sched.Next(now)
		}
		runs, err := st.ListSweepRuns(ctx, s.Name, 1)
		if err != nil {
			return nil, err
		}
		if len(runs) == 1 {
			run := runs[0]
			r.LastRun, r.Outcome, r.Error = run.StartedAt, run.Outcome, run.Error
			if !run.FinishedAt.IsZero() {
				r.Duration = run.FinishedAt.Sub(run.StartedAt).
					Round(time.Millisecond).String()
			}
		}
		rows = append(rows, r)
	}
	return rows, nil
}

func printSweepRows(g *globals, out outputFlag, rows []sweepRow) error {
	if out == "json" {
		return printJSON(g.out, rows)
	}
	tw := table(g.out, "SWEEP", "SCHEDULE", "ZONE", "LAST RUN", "DURATION",
		"OUTCOME", "NEXT RUN")
	for _, r := range rows {
		schedule := r.Schedule
		if schedule == "" {
			schedule = "not scheduled"
		}
		row(tw, r.Sweep, schedule, r.TimeZone, r.LastRun, r.Duration,
			r.Outcome, r.NextRun)
	}
	return tw.Flush()
}

func newSweepReportCmd(g *globals, f *sweepFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "report NAME",
		Short: "Show the report of a sweep's last run",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.output.validate(); err != nil {
				return err
			}
			if _, ok := sweeps.Lookup(args[0]); !ok {
				return &exitError{code: 2, err: fmt.Errorf("sweep report: %q "+
					"is not a sweep (the sweeps: %v)", args[0], sweeps.Names())}
			}
			st, err := g.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			rep, err := lastReport(cmd.Context(), st, args[0])
			if err != nil {
				return err
			}
			return printReport(g, f.output, rep)
		},
	}
}

// lastReport reads the report of the sweep's newest run.
func lastReport(ctx context.Context, st store.Store, name string) (*sweeps.Report, error) {
	runs, err := st.ListSweepRuns(ctx, name, 1)
	if err != nil {
		return nil, err
	}
	if len(runs) == 0 {
		return nil, fmt.Errorf("sweep %s has not run yet", name)
	}
	if len(runs[0].Report) == 0 {
		return nil, errors.New("sweep " + name + " is running; it has no " +
			"report yet")
	}
	var rep sweeps.Report
	if err := json.Unmarshal(runs[0].Report, &rep); err != nil {
		return nil, fmt.Errorf("read the report of run %s: %w", runs[0].ID, err)
	}
	return &rep, nil
}
