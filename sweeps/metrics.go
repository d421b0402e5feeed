package sweeps

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// The outcomes of a scheduled run, as the scheduler counts them.
const (
	OutcomeSucceeded = "succeeded"
	OutcomeFailed    = "failed"
	OutcomePanicked  = "panicked"
	// OutcomeInterrupted: the scheduler was stopping and cut the run off.
	OutcomeInterrupted = "interrupted"
	// OutcomeElsewhere: another instance sharing the store ran, or is
	// running, the sweep for that time.
	OutcomeElsewhere = "elsewhere"
)

// Metrics are the scheduler's Prometheus collectors. Their labels hold
// job names, which come from the config, and outcomes from the closed
// set above. A nil *Metrics records nothing.
type Metrics struct {
	runs     *prometheus.CounterVec
	overlaps *prometheus.CounterVec
	leading  prometheus.Gauge
}

// NewMetrics creates the scheduler's collectors and registers them with
// reg: killswitch_sweep_runs_total{sweep, outcome},
// killswitch_sweep_overlaps_total{sweep} and killswitch_sweep_leader. A
// nil reg gives a nil *Metrics.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &Metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "killswitch_sweep_runs_total",
			Help: "Scheduled sweep runs, by sweep and outcome (succeeded, " +
				"failed, panicked, interrupted: cut off by a shutdown, elsewhere: " +
				"run by another instance)."},
			[]string{"sweep", "outcome"}),
		overlaps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "killswitch_sweep_overlaps_total",
			Help: "Scheduled sweep firings skipped because the sweep's " +
				"previous run was still going, by sweep."},
			[]string{"sweep"}),
		leading: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "killswitch_sweep_leader",
			Help: "1 while this instance leads and runs the scheduled " +
				"sweeps, 0 while another instance sharing the PostgreSQL " +
				"registry does."}),
	}
	for _, c := range []prometheus.Collector{m.runs, m.overlaps,
		m.leading} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register sweep metrics: %w", err)
		}
	}
	return m, nil
}

// start makes the series of a job's runs exist at zero, so that a scrape
// shows a scheduled sweep before its first run.
func (m *Metrics) start(sweep string) {
	if m == nil {
		return
	}
	for _, o := range []string{OutcomeSucceeded, OutcomeFailed,
		OutcomePanicked, OutcomeInterrupted, OutcomeElsewhere} {
		m.runs.WithLabelValues(sweep, o)
	}
	m.overlaps.WithLabelValues(sweep)
}

func (m *Metrics) ran(sweep, outcome string) {
	if m != nil {
		m.runs.WithLabelValues(sweep, outcome).Inc()
	}
}

func (m *Metrics) overlapped(sweep string) {
	if m != nil {
		m.overlaps.WithLabelValues(sweep).Inc()
	}
}

func (m *Metrics) leader(leading bool) {
	if m == nil {
		return
	}
	if leading {
		m.leading.Set(1)
	} else {
		m.leading.Set(0)
	}
}
