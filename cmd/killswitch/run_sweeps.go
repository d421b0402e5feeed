package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/killswitch-dev/killswitch/api"
	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/sweeps"
)

// scheduledSweeps are the sweeps run schedules, and whether this
// instance leads the instances sharing its registry and so runs them.
type scheduledSweeps struct {
	sched *sweeps.Scheduler
	lead  *sweeps.Leadership
}

// planSweeps schedules the sweeps of the sweeps section of the config
// file at path; nil without jobs. The scheduler's metrics go to reg.
func planSweeps(path string, st store.Store, pol engine.Evaluator,
	svc *engine.Service, conns connectors.Set, reg prometheus.Registerer,
	log *slog.Logger) (*scheduledSweeps, error) {
	cfg := sweeps.Config{}
	if path != "" {
		var err error
		if cfg, err = sweeps.LoadConfig(path); err != nil {
			return nil, &exitError{code: 2, err: err}
		}
	}
	if len(cfg.Jobs) == 0 {
		return nil, nil
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
	lead := sweeps.NewLeadership(st, 0, log, m)
	sched, err := sweeps.NewScheduler(sweeps.SystemClock(), log, m, lead,
		jobs...)
	if err != nil {
		return nil, err
	}
	return &scheduledSweeps{sched: sched, lead: lead}, nil
}

// leader is what the API reports of the lead: nil when nothing is
// scheduled.
func (s *scheduledSweeps) leader() api.SweepLeader {
	if s == nil {
		return nil
	}
	return s.lead
}

// start campaigns for the lead and runs the schedule until ctx is done
// or stop is called; stop ends both and waits for the runs in progress,
// which see their context cancelled, to return, and for the lead to be
// let go.
func (s *scheduledSweeps) start(ctx context.Context) (stop func()) {
	if s == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { s.lead.Run(ctx) })
	wg.Go(func() { s.sched.Run(ctx) })
	return func() {
		cancel()
		wg.Wait()
	}
}
