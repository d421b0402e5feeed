package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"golang.org/x/time/rate"

	"github.com/killswitch-dev/killswitch/api"
	"github.com/killswitch-dev/killswitch/api/ingest"
	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/store/sqlite"
)

// BenchmarkPostAlerts is a loopback load test of POST /v1/alerts
// through the whole API (listener, token authentication against the
// store, role check, per-token limit, decoding, the audit of the write)
// to an in-process Kafka cluster that acknowledges every write. 16
// clients on keep-alive connections post the demo alerts, one per
// request or 100 per NDJSON request; it reports alerts accepted per
// second and the request latency percentiles.
func BenchmarkPostAlerts(b *testing.B) {
	for _, perRequest := range []int{1, 100} {
		b.Run(fmt.Sprintf("alerts_per_request=%d", perRequest),
			func(b *testing.B) { benchPostAlerts(b, perRequest) })
	}
}

func benchPostAlerts(b *testing.B, perRequest int) {
	url, secret := alertsBenchServer(b)
	body, contentType := benchAlertsBody(b, perRequest)
	const clients = 16
	client := &http.Client{Transport: &http.Transport{
		MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}}
	var next atomic.Int64
	lat := make([][]time.Duration, clients)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := next.Add(1); n <= int64(b.N); n = next.Add(1) {
				d, err := postOnce(client, url, secret, contentType, body)
				if err != nil {
					b.Error(err)
					return
				}
				lat[c] = append(lat[c], d)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	all := slices.Concat(lat...)
	reportLatency(b, all, elapsed)
	b.ReportMetric(float64(len(all)*perRequest)/elapsed.Seconds(), "alerts/s")
}

// benchAlertsBody is n of the demo alerts, cycled, as one body.
func benchAlertsBody(b *testing.B, n int) ([]byte, string) {
	paths, err := filepath.Glob("../testdata/alerts/*.json")
	must2(b, err)
	if n == 1 {
		raw, err := os.ReadFile(paths[0])
		must2(b, err)
		return raw, "application/json"
	}
	var body bytes.Buffer
	for i := range n {
		raw, err := os.ReadFile(paths[i%len(paths)])
		must2(b, err)
		must2(b, json.Compact(&body, raw))
		body.WriteByte('\n')
	}
	return body.Bytes(), "application/x-ndjson"
}

// alertsBenchServer serves the API with ingestion on a loopback port
// over kfake and SQLite, with no per-token limit, and returns the
// alerts URL and an ingest token's secret.
func alertsBenchServer(b *testing.B) (string, string) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3,
		engine.DefaultAlertsTopic, engine.DefaultDLQTopic))
	must2(b, err)
	b.Cleanup(c.Close)
	st, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "ks.db"))
	must2(b, err)
	b.Cleanup(func() { st.Close() })
	in, err := ingest.New(ingest.Config{Brokers: c.ListenAddrs()}, st,
		time.Now)
	must2(b, err)
	b.Cleanup(func() { in.Close() })
	s, err := api.New(api.Config{Store: st,
		Log: slog.New(slog.DiscardHandler), Ops: api.Ops{Ingest: in,
			IngestRate: rate.Inf}})
	must2(b, err)
	tok, secret, err := api.NewToken(api.TokenSpec{Name: "siem",
		Role: api.Ingest, CreatedBy: "bench", CreatedAt: time.Now()})
	must2(b, err)
	must2(b, st.CreateAPIToken(b.Context(), tok))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must2(b, err)
	mux := http.NewServeMux()
	mux.Handle(api.BasePath+"/", s.Handler())
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String() + "/v1/alerts", secret
}

// postOnce posts body and times the answer, which must be 202.
func postOnce(client *http.Client, url, secret, contentType string,
	body []byte) (time.Duration, error) {
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Content-Type", contentType)
	t0 := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return 0, fmt.Errorf("status %d: %s", resp.StatusCode, raw)
	}
	return time.Since(t0), nil
}
