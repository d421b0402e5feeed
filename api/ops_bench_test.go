package api_test

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/api"
	"github.com/killswitch-dev/killswitch/api/introspect"
	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/sqlite"
)

// benchPrincipals is how many principals the benchmark registry holds,
// each with two sessions.
const benchPrincipals = 5000

// BenchmarkIntrospectHTTP is a loopback load test of POST /v1/introspect
// through the whole API: the listener, bearer token authentication
// against the store, the role check, the index. 32 clients on keep-alive
// connections ask about random sessions as fast as they are answered; it
// reports requests per second and the latency percentiles they saw.
func BenchmarkIntrospectHTTP(b *testing.B) {
	url, secret := benchServer(b)
	const clients = 32
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
				d, err := introspectOnce(client, url, secret, n)
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
	reportLatency(b, slices.Concat(lat...), elapsed)
}

// benchServer serves the API on a loopback port over a registry of
// benchPrincipals principals, and returns the introspection URL and a
// viewer token's secret.
func benchServer(b *testing.B) (string, string) {
	b.Helper()
	st, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "ks.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	for i := range benchPrincipals {
		p := fmt.Sprintf("p%05d", i)
		must2(b, st.PutPrincipal(b.Context(), store.Principal{ID: p,
			Kind: store.KindHuman}))
		for j := range 2 {
			must2(b, st.PutSession(b.Context(), store.Session{
				ID: fmt.Sprintf("s%s-%d", p, j), PrincipalID: p,
				Provider: "okta"}))
		}
	}
	log := slog.New(slog.DiscardHandler)
	x := introspect.New(st, introspect.Config{}, time.Now, log)
	must2(b, x.Refresh(b.Context()))
	s, err := api.New(api.Config{Store: st, Log: log,
		Ops: api.Ops{Introspection: x}})
	must2(b, err)
	tok, secret, err := api.NewToken(api.TokenSpec{Name: "gateway",
		Role: api.Viewer, CreatedBy: "bench", CreatedAt: time.Now()})
	must2(b, err)
	must2(b, st.CreateAPIToken(b.Context(), tok))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must2(b, err)
	mux := http.NewServeMux()
	mux.Handle(api.BasePath+"/", s.Handler())
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String() + "/v1/introspect", secret
}

// introspectOnce asks about the n-th session and times the answer.
func introspectOnce(client *http.Client, url, secret string,
	n int64) (time.Duration, error) {
	body := fmt.Appendf(nil, `{"session_id":"sp%05d-%d"}`,
		(n*7919)%benchPrincipals, n%2)
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Content-Type", "application/json")
	t0 := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("status %d", resp.StatusCode)
	}
	return time.Since(t0), nil
}

// reportLatency reports requests per second and the median and 99th
// percentile of lat.
func reportLatency(b *testing.B, lat []time.Duration, elapsed time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[int(p*float64(len(lat)-1))].Microseconds())
	}
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
}

func must2(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}
