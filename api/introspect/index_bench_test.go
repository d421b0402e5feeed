package introspect

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// benchSize is how many principals the benchmark registry holds; each
// has two sessions and a credential.
const benchSize = 100_000

// benchIndex is an Index holding benchSize principals, 2*benchSize
// sessions, benchSize credentials, a thousand principal locks and a
// hundred origin prefix locks, applied as the store would hand them over.
func benchIndex(b *testing.B) *Index {
	b.Helper()
	x := New(nil, Config{}, clock, slog.New(slog.DiscardHandler))
	var cs store.ChangeSet
	for i := range benchSize {
		p := fmt.Sprintf("p%06d", i)
		cs.Principals = append(cs.Principals, store.Principal{ID: p,
			Status: store.StatusActive})
		cs.Credentials = append(cs.Credentials, store.Credential{
			ID: "c" + p, PrincipalID: p, Status: store.StatusActive,
			Fingerprint: "sha256:" + benchPrint(i)})
		for j := range 2 {
			cs.Sessions = append(cs.Sessions, store.Session{
				ID: fmt.Sprintf("s%s-%d", p, j), PrincipalID: p,
				CredentialID: "c" + p, Provider: "okta",
				ExternalID: fmt.Sprintf("ext-%s-%d", p, j),
				Origin: store.Origin{IP: fmt.Sprintf("10.%d.%d.%d",
					i>>16&255, i>>8&255, i&255), Device: "d" + p},
				Status: store.StatusActive, ExpiresAt: now.Add(time.Hour)})
		}
	}
	for i := range 1000 {
		cs.Locks = append(cs.Locks, store.Lock{ID: fmt.Sprintf("lp%d", i),
			TargetType: "principal", Target: fmt.Sprintf("p%06d", i*97)})
	}
	for i := range 100 {
		cs.Locks = append(cs.Locks, store.Lock{ID: fmt.Sprintf("lo%d", i),
			TargetType: "origin", Target: fmt.Sprintf("192.0.%d.0/24", i)})
	}
	x.apply(cs)
	x.loaded = true
	return x
}

func benchPrint(i int) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "token-%d", i))
	return hex.EncodeToString(sum[:])
}

// BenchmarkSession answers by session id from all cores.
func BenchmarkSession(b *testing.B) {
	x := benchIndex(b)
	ids := make([]string, 1024)
	for i := range ids {
		ids[i] = fmt.Sprintf("sp%06d-%d", (i*7919)%benchSize, i%2)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := x.Session(ids[i%len(ids)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// BenchmarkFingerprint answers by token fingerprint from all cores.
func BenchmarkFingerprint(b *testing.B) {
	x := benchIndex(b)
	prints := make([]string, 1024)
	for i := range prints {
		prints[i] = benchPrint((i * 7919) % benchSize)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := x.Fingerprint(prints[i%len(prints)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// BenchmarkApplyRevocations is the write side: a page of 100 revoked
// sessions applied while nothing else runs.
func BenchmarkApplyRevocations(b *testing.B) {
	x := benchIndex(b)
	var cs store.ChangeSet
	for i := range 100 {
		cs.Sessions = append(cs.Sessions, store.Session{
			ID: fmt.Sprintf("sp%06d-0", i), PrincipalID: fmt.Sprintf("p%06d", i),
			Status: store.StatusRevoked})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		x.apply(cs)
	}
}

// BenchmarkHTTP is a loopback load test of the introspection endpoint:
// 32 clients on keep-alive connections POST session ids as fast as they
// are answered. It reports requests per second and the latency
// percentiles each client saw.
func BenchmarkHTTP(b *testing.B) {
	x := benchIndex(b)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /v1/introspect", x.Handler(nil))
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	defer srv.Close()
	url := "http://" + ln.Addr().String() + "/v1/introspect"
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
			for {
				n := next.Add(1)
				if n > int64(b.N) {
					return
				}
				body := fmt.Appendf(nil, `{"session_id":"sp%06d-%d"}`,
					(n*7919)%benchSize, n%2)
				t0 := time.Now()
				resp, err := client.Post(url, "application/json",
					bytes.NewReader(body))
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
				lat[c] = append(lat[c], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) == 0 {
		return
	}
	pct := func(p float64) float64 {
		return float64(all[int(p*float64(len(all)-1))].Microseconds())
	}
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "req/s")
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
}

// BenchmarkHandler is the endpoint's own cost without the network:
// decoding the request, answering, encoding the answer.
func BenchmarkHandler(b *testing.B) {
	x := benchIndex(b)
	h := x.Handler(nil)
	body := []byte(`{"session_id":"sp000097-1"}`)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := discardWriter{h: http.Header{}}
		r, _ := http.NewRequest("POST", "/v1/introspect", bytes.NewReader(body))
		h.ServeHTTP(&w, r)
		if w.status != 0 && w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
	}
}

// discardWriter is a ResponseWriter that keeps only the status.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(s int)           { w.status = s }
