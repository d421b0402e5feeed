package revstream

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Register adds the Stream's metrics to reg: the clients connected and
// the events sent. One Stream per registry.
func (s *Stream) Register(reg prometheus.Registerer) error {
	clients := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "killswitch_revocation_stream_clients",
		Help: "Clients connected to the revocation stream."},
		func() float64 { return float64(s.Active()) })
	for _, c := range []prometheus.Collector{clients, s.sent} {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("register revocation stream metrics: %w", err)
		}
	}
	return nil
}

func newSent() prometheus.Counter {
	return prometheus.NewCounter(prometheus.CounterOpts{
		Name: "killswitch_revocation_stream_events_total",
		Help: "Revocation log entries sent to stream clients, each client " +
			"counted."})
}
