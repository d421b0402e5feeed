package propagation

import (
	"fmt"
	"testing"

	"github.com/killswitch-dev/killswitch/engine"
)

// BenchmarkPublish measures what the executor waits for when a
// principal's sessions are revoked: 100 session revocations signed
// (ES256) and queued for two push streams, 200 SETs per operation.
func BenchmarkPublish(b *testing.B) {
	r := newRig(b, Config{}, PushConfig{})
	rc := newReceiver(b, r.srv.URL, "https://gateway.example")
	r.pushStream(rc)
	r.pushStream(rc)
	events := make([]engine.RevocationEvent, 100)
	b.ResetTimer()
	for i := range b.N {
		for j := range events {
			events[j] = engine.RevocationEvent{ID: fmt.Sprintf("rev-%d-%d", i, j),
				Type: "session", TargetID: "s1", PrincipalID: "alice",
				At: r.clock.Now(), By: "policy:bench"}
		}
		if err := r.tx.Publish(b.Context(), events); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*200), "µs/SET")
}

// BenchmarkPush measures pushing queued SETs to a verifying receiver on
// loopback, 100 per operation.
func BenchmarkPush(b *testing.B) {
	r := newRig(b, Config{}, PushConfig{Batch: 100})
	rc := newReceiver(b, r.srv.URL, "https://gateway.example")
	rc.skipVerify = true // the receiver's JWKS fetch is not ours to time
	r.pushStream(rc)
	events := make([]engine.RevocationEvent, 100)
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		for j := range events {
			events[j] = engine.RevocationEvent{ID: fmt.Sprintf("rev-%d-%d", i, j),
				Type: "session", TargetID: "s1", PrincipalID: "alice",
				At: r.clock.Now(), By: "policy:bench"}
		}
		must(b, r.tx.Publish(b.Context(), events))
		b.StartTimer()
		r.pushAll()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*100), "µs/SET")
}
