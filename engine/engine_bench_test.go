package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/signals"
)

// BenchmarkDecodeEnrichEvaluate measures the per-alert work before the
// outbox write: decode, resolve and enrich from SQLite, evaluate the
// shipped policies.
func BenchmarkDecodeEnrichEvaluate(b *testing.B) {
	r := newRig(b, "../testdata/inventory.yaml", nil)
	ev := shippedPolicies(b)
	payloads := demoPayloads(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		sig, err := signals.Decode(payloads[i%len(payloads)])
		if err != nil {
			b.Fatal(err)
		}
		in, err := Enrich(ctx, r.store, sig, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ev.Evaluate(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPipelineThroughKafka measures one alert's whole path: publish
// through kfake with kafka-go, consume in the group, decide, write the
// outbox and commit. Each alert is unique so none is deduplicated away.
// BenchmarkPipelineBacklog measures throughput on a backlog instead.
func BenchmarkPipelineThroughKafka(b *testing.B) {
	r := newRig(b, "../testdata/inventory.yaml", nil)
	r.start()
	defer r.stop()
	b.ReportAllocs()
	sent := 0
	for b.Loop() {
		r.send([2][]byte{[]byte("alice"), uniqueOkta(sent)})
		sent++
	}
	r.waitFor("every benchmark alert processed", func() bool { return r.settled(sent) })
	b.ReportMetric(float64(sent)/b.Elapsed().Seconds(), "alerts/s")
}

func demoPayloads(b testing.TB) [][]byte {
	files, err := filepath.Glob("../testdata/alerts/*.json")
	if err != nil || len(files) == 0 {
		b.Fatal("no sample alerts in ../testdata/alerts")
	}
	out := make([][]byte, 0, len(files))
	for _, f := range files {
		p, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// uniqueOkta gives an Okta event a fresh uuid so its dedup key is new.
func uniqueOkta(n int) []byte {
	return []byte(fmt.Sprintf(`{"uuid":"bench-%08d","published":"2026-11-30T09:00:00Z",
"eventType":"user.session.start","severity":"INFO","version":"0",
"actor":{"id":"00ualiceDEMO00000001","type":"User","alternateId":"alice@example.com"}}`, n))
}

// oktaAbout is the nth unique Okta sign-in of the user with that e-mail.
func oktaAbout(n int, email string) []byte {
	return []byte(fmt.Sprintf(`{"uuid":"bench-%08d","published":"2026-11-30T09:00:00Z",
"eventType":"user.session.start","severity":"INFO","version":"0",
"actor":{"type":"User","alternateId":%q}}`, n, email))
}

// demoEmails are the e-mail aliases of the demo inventory's principals.
var demoEmails = []string{"alice@example.com", "frank@example.com",
	"dave@example.com", "erin@example.com", "grace@example.com"}

// BenchmarkPipelineBacklog measures alerts per second when a backlog of
// b.N alerts about the demo's five principals with e-mail aliases is
// waiting in the topic.
func BenchmarkPipelineBacklog(b *testing.B) {
	r := newRig(b, "../testdata/inventory.yaml", nil)
	msgs := make([][2][]byte, b.N)
	for i := range msgs {
		email := demoEmails[i%len(demoEmails)]
		msgs[i] = [2][]byte{[]byte(email), oktaAbout(i, email)}
	}
	r.send(msgs...)
	b.ReportAllocs()
	b.ResetTimer()
	r.start()
	r.waitFor("the backlog processed", func() bool { return r.settled(b.N) })
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "alerts/s")
	r.stop()
}

// BenchmarkStorm measures a storm: 50,000 different alerts about one
// principal, all deciding the same, waiting in the topic. It reports
// alerts per second through decide, outbox and executor, and the calls
// the provider received (3: one per change). Run it with -benchtime 1x.
func BenchmarkStorm(b *testing.B) {
	const size = 50_000
	for range b.N {
		b.StopTimer()
		conn := newFlakyConnector(0, connectors.Done)
		r := newRig(b, "../testdata/inventory.yaml", nil)
		r.conns = connectors.Set{conn.Provider(): conn}
		r.svc = r.service(shippedPolicies(b))
		r.send(erinStorm(b, size)...)
		b.StartTimer()
		start := time.Now()
		r.start()
		for !r.settled(size) { // longer than waitFor's deadline
			time.Sleep(100 * time.Millisecond)
		}
		elapsed := time.Since(start)
		b.StopTimer()
		r.stop()
		calls, _ := conn.counts()
		n := 0
		for _, c := range calls {
			n += c
		}
		b.ReportMetric(size/elapsed.Seconds(), "alerts/s")
		b.ReportMetric(float64(n), "provider-calls")
	}
}
