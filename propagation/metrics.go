package propagation

import (
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/killswitch-dev/killswitch/store"
)

// metrics are the transmitter's Prometheus collectors. Labels hold only
// the delivery method, the event type's short name and the outcome:
// never a stream id, a subject, a URL or a secret. A nil *metrics
// records nothing.
type metrics struct {
	queued    *prometheus.CounterVec
	outcomes  *prometheus.CounterVec
	pushTimes *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &metrics{
		queued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "killswitch_ssf_deliveries_queued_total",
			Help: "SETs and webhooks queued, by delivery method (push, " +
				"poll, webhook) and event."}, []string{"method", "event"}),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "killswitch_ssf_deliveries_total",
			Help: "Delivery outcomes by method: delivered, retried, failed, " +
				"acknowledged (poll), receiver_error (poll)."},
			[]string{"method", "outcome"}),
		pushTimes: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "killswitch_ssf_push_seconds",
			Help:    "Time of one push to a receiver, retries within it included.",
			Buckets: prometheus.ExponentialBuckets(0.005, 3, 8)},
			[]string{"method"}),
	}
	for _, c := range []prometheus.Collector{m.queued, m.outcomes, m.pushTimes} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register ssf metrics: %w", err)
		}
	}
	return m, nil
}

// methodLabel is a delivery method's short name.
func methodLabel(method string) string {
	switch method {
	case store.DeliveryPush:
		return "push"
	case store.DeliveryPoll:
		return "poll"
	case store.DeliveryWebhook:
		return "webhook"
	}
	return "other"
}

// eventLabel is an event type's last path segment (session-revoked), or
// the webhook type as it is.
func eventLabel(typ string) string {
	return typ[strings.LastIndex(typ, "/")+1:]
}

func (m *metrics) queue(ds []store.Delivery, methods map[string]string) {
	if m == nil {
		return
	}
	for _, d := range ds {
		m.queued.WithLabelValues(methodLabel(methods[d.StreamID]),
			eventLabel(d.EventType)).Inc()
	}
}

func (m *metrics) outcome(method, outcome string, n int) {
	if m == nil || n == 0 {
		return
	}
	m.outcomes.WithLabelValues(methodLabel(method), outcome).Add(float64(n))
}

func (m *metrics) pushed(method string, d time.Duration) {
	if m == nil {
		return
	}
	m.pushTimes.WithLabelValues(methodLabel(method)).Observe(d.Seconds())
}
