package engine

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// BenchmarkScrapeEngineMetrics gathers every engine family as a scrape
// does, the outbox depth and the lag read afresh each time (no TTL):
// the cost a scrape pays at most once per GaugeTTL.
func BenchmarkScrapeEngineMetrics(b *testing.B) {
	r := newRig(b, "../testdata/inventory.yaml", nil)
	reg := prometheus.NewRegistry()
	r.reg = reg
	r.svc = r.service(shippedPolicies(b))
	r.send([2][]byte{[]byte("erin"), readFile(b, erinAlert)})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := reg.Gather(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScrapeEngineMetricsCached is the same scrape within the TTL.
func BenchmarkScrapeEngineMetricsCached(b *testing.B) {
	r := newRig(b, "../testdata/inventory.yaml", nil)
	reg := prometheus.NewRegistry()
	r.reg, r.gaugeTTL = reg, DefaultGaugeTTL
	r.svc = r.service(shippedPolicies(b))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := reg.Gather(); err != nil {
			b.Fatal(err)
		}
	}
}
