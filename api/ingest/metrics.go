package ingest

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/killswitch-dev/killswitch/signals"
)

// Metrics count the alerts that came over HTTP, by route ("alerts",
// "ssf"): accepted by format, rejected by reason (the Reason constants,
// and for SETs the RFC 8935 error codes). Labels only ever hold those
// closed sets. A nil *Metrics counts nothing.
type Metrics struct {
	acceptedN *prometheus.CounterVec
	rejectedN *prometheus.CounterVec
}

// NewMetrics creates the collectors and registers them with reg; a nil
// reg gives a nil *Metrics.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &Metrics{
		acceptedN: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "killswitch_http_alerts_accepted_total",
			Help: "Alerts received over HTTP and acknowledged by Kafka, " +
				"by route (alerts, ssf) and signal format."},
			[]string{"route", "format"}),
		rejectedN: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "killswitch_http_alerts_rejected_total",
			Help: "Alerts received over HTTP and not accepted, by route " +
				"and reason (not_json, unknown_format, invalid_field, " +
				"too_large, rate_limited, unavailable, or an RFC 8935 " +
				"error code)."},
			[]string{"route", "reason"}),
	}
	for _, c := range []prometheus.Collector{m.acceptedN, m.rejectedN} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register ingest metrics: %w", err)
		}
	}
	return m, nil
}

func (m *Metrics) accepted(route string, f signals.Format) {
	if m != nil {
		m.acceptedN.WithLabelValues(route, string(f)).Inc()
	}
}

func (m *Metrics) rejected(route, reason string, n int) {
	if m != nil && n > 0 {
		m.rejectedN.WithLabelValues(route, reason).Add(float64(n))
	}
}

// Rejected counts n alerts of route refused before they reached the
// ingester (too large, rate limited, an invalid SET).
func (m *Metrics) Rejected(route, reason string, n int) {
	m.rejected(route, reason, n)
}
