package propagation

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestMetricsCountQueuedRetriedDeliveredAndAcknowledgedSETs(t *testing.T) {
	reg := prometheus.NewRegistry()
	r := newRig(t, Config{Registerer: reg}, PushConfig{Retries: -1})
	rc := newReceiver(t, r.srv.URL, "https://gateway.example", 503)
	r.pushStream(rc)
	_, poll := r.pollStream()
	r.revoke("rev-1")
	r.pushAll()
	r.clock.advance(time.Minute)
	r.pushAll()
	got, _ := r.pollOnce(poll, map[string]any{"returnImmediately": true})
	r.pollOnce(poll, map[string]any{"ack": got, "maxEvents": 0})

	m := r.tx.metrics
	for _, c := range []struct {
		vec    *prometheus.CounterVec
		labels []string
		want   float64
	}{
		{m.queued, []string{"push", "session-revoked"}, 1},
		{m.queued, []string{"poll", "session-revoked"}, 1},
		{m.outcomes, []string{"push", "retried"}, 1},
		{m.outcomes, []string{"push", "delivered"}, 1},
		{m.outcomes, []string{"poll", "acknowledged"}, 1},
	} {
		if got := testutil.ToFloat64(c.vec.WithLabelValues(c.labels...)); got != c.want {
			t.Errorf("%v = %v, want %v", c.labels, got, c.want)
		}
	}
	names, err := reg.Gather()
	must(t, err)
	for _, f := range names {
		for _, metric := range f.GetMetric() {
			for _, l := range metric.GetLabel() {
				if strings.Contains(l.GetValue(), "127.0.0.1") ||
					strings.HasPrefix(l.GetValue(), "str_") {
					t.Errorf("%s has label %s=%s", f.GetName(), l.GetName(), l.GetValue())
				}
			}
		}
	}
}
