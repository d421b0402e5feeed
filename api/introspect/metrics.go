package introspect

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Register adds the Index's metrics to reg: how old the state it
// answers from is, how many sessions it holds, and its failed
// refreshes. One Index per registry.
func (x *Index) Register(reg prometheus.Registerer) error {
	age := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "killswitch_introspection_age_seconds",
		Help: "Seconds since the registry state introspection answers " +
			"from was current (its staleness); 0 before the first load."},
		x.age)
	sessions := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "killswitch_introspection_sessions",
		Help: "Sessions the introspection index holds."},
		func() float64 {
			x.mu.RLock()
			defer x.mu.RUnlock()
			return float64(len(x.sessions))
		})
	for _, c := range []prometheus.Collector{age, sessions, x.failures} {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("register introspection metrics: %w", err)
		}
	}
	return nil
}

// age is the staleness of the state answered from, in seconds.
func (x *Index) age() float64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if !x.loaded {
		return 0
	}
	return x.clock().Sub(x.asOf).Seconds()
}

func newFailures() prometheus.Counter {
	return prometheus.NewCounter(prometheus.CounterOpts{
		Name: "killswitch_introspection_refresh_failures_total",
		Help: "Refreshes of the introspection index from the store that " +
			"failed; answers meanwhile come from the last state."})
}
