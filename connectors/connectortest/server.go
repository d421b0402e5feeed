// Package connectortest is what every connector's tests share: a fake
// vendor server with fault injection (throttling, 5xx storms, slow
// answers, a server that echoes credentials back), a log capture, and the
// scenario suite every connector must pass (Run).
package connectortest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/internal/logbuf"
)

// Fault is an answer the Server gives instead of the vendor's.
type Fault struct {
	// Delay holds the answer back; the server gives up when the client
	// does.
	Delay time.Duration
	// Status, Header and Body are the answer; Status 0 hands the request
	// to the vendor handler after Delay.
	Status int
	Header http.Header
	Body   string
	// Echo puts every request header into Body where it says
	// {{headers}} (JSON-escaped), or after it, as a careless server that
	// quotes the request in its error would.
	Echo bool
}

// Arrival is one request the Server received.
type Arrival struct {
	At     time.Time
	Method string
	Path   string
	Query  string
	Header http.Header
	Body   []byte
}

// Server is a fake vendor API: the vendor's handler behind a fault
// injector, recording every request with the time it arrived.
type Server struct {
	*httptest.Server
	vendor   http.Handler
	mu       sync.Mutex
	once     []Fault
	storm    *Fault
	arrivals []Arrival
}

// NewServer starts a Server for vendor, closed when the test ends.
func NewServer(t testing.TB, vendor http.Handler) *Server {
	s := &Server{vendor: vendor}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Inject queues faults answered one each, in order, before the vendor
// answers again.
func (s *Server) Inject(f ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.once = append(s.once, f...)
}

// Storm answers every request with f until Calm.
func (s *Server) Storm(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.storm = &f
}

// Calm ends a Storm.
func (s *Server) Calm() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.storm = nil
}

// Arrivals returns the requests received so far.
func (s *Server) Arrivals() []Arrival {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Arrival(nil), s.arrivals...)
}

// Count is how many requests arrived.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.arrivals)
}

// Saw reports whether text arrived in any request header (HTTP Basic
// credentials decoded), query or body.
func (s *Server) Saw(text string) bool {
	for _, a := range s.Arrivals() {
		r := http.Request{Header: a.Header}
		_, pass, _ := r.BasicAuth()
		dump := fmt.Sprint(a.Header) + a.Query + string(a.Body) + pass
		if strings.Contains(dump, text) {
			return true
		}
	}
	return false
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body := readBody(r)
	f := s.record(r, body)
	if f == nil {
		s.vendor.ServeHTTP(w, r)
		return
	}
	if f.Delay > 0 {
		select {
		case <-r.Context().Done():
			return
		case <-time.After(f.Delay):
		}
	}
	if f.Status == 0 {
		s.vendor.ServeHTTP(w, r)
		return
	}
	writeFault(w, r, *f)
}

// record notes the request and picks the fault to answer it with.
func (s *Server) record(r *http.Request, body []byte) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.arrivals = append(s.arrivals, Arrival{At: time.Now(), Method: r.Method,
		Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(),
		Body: body})
	if len(s.once) > 0 {
		f := s.once[0]
		s.once = s.once[1:]
		return &f
	}
	return s.storm
}

func readBody(r *http.Request) []byte {
	var b bytes.Buffer
	b.ReadFrom(r.Body)
	r.Body.Close()
	r.Body = readCloser{bytes.NewReader(b.Bytes())}
	return b.Bytes()
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

func writeFault(w http.ResponseWriter, r *http.Request, f Fault) {
	for k, vs := range f.Header {
		w.Header()[k] = vs
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(f.Status)
	body := f.Body
	if f.Echo {
		q, _ := json.Marshal(fmt.Sprint(r.Header))
		dump := string(q[1 : len(q)-1])
		if !strings.Contains(body, "{{headers}}") {
			body += " {{headers}}"
		}
		body = strings.ReplaceAll(body, "{{headers}}", dump)
	}
	w.Write([]byte(body))
}

// LogBuffer captures a logger's output while a test reads it.
type LogBuffer = logbuf.Buffer

// Logger returns a Debug-level text logger writing to a LogBuffer.
func Logger() (*slog.Logger, *LogBuffer) {
	b := &LogBuffer{}
	h := slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})
	return slog.New(h), b
}
