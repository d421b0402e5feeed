package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/sweeps"
)

// startSweeps schedules the sweeps of the sweeps section of the config
// file at path, until ctx is done or stop is called; stop ends the
// schedule and waits for the runs in progress, which see their context
// cancelled, to return. Nothing is scheduled without jobs. The
// scheduler's metrics go to reg.
func startSweeps(ctx context.Context, path string, st store.Store,
	pol engine.Evaluator, svc *engine.Service, conns connectors.Set,
	reg prometheus.Registerer, log *slog.Logger) (stop func(), err error) {
	cfg := sweeps.Config{}
	if path != "" {
		if cfg, err = sweeps.LoadConfig(path); err != nil {
			return nil, &exitError{code: 2, err: err}
		}
	}
	if len(cfg.Jobs) == 0 {
		return func() {}, nil
	}
	ev, ok := pol.(sweeps.SweepEvaluator)
	if !ok {
		return nil, fmt.Errorf("sweeps: the policies cannot answer the sweep decision")
	}
	runner := sweeps.NewRunner(sweepDeps(st, ev, svc.Pipeline, svc.Executor,
		conns, cfg, log), instanceName())
	var jobs []sweeps.Job
	for _, jc := range cfg.Jobs {
		j, err := runner.Job(jc)
		if err != nil {
			return nil, &exitError{code: 2, err: err}
		}
		jobs = append(jobs, j)
		log.Info("sweep scheduled", "component", "sweeps", "sweep", jc.Sweep,
			"schedule", j.Schedule.String(), "next_run", j.Schedule.Next(systemClock()))
	}
	m, err := sweeps.NewMetrics(reg)
	if err != nil {
		return nil, err
	}
	sched, err := sweeps.NewScheduler(sweeps.SystemClock(), log, m, nil, jobs...)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sched.Run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}, nil
}
