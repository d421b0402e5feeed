package revstream

import (
	"net/http"
	"testing"
	"time"
)

// Streams are bounded: each holds a goroutine and reads the log every
// poll, so a token that opens them without end must not take the
// process down. A client past the bound is told to come back; one that
// leaves frees its place.
func TestStreamsPastTheBoundAreRefusedUntilOneLeaves(t *testing.T) {
	st, _ := open(t)
	s := New(st, Config{MaxClients: 2}, quiet())
	srv := serve(t, s, nil)
	first := connect(t, srv, "")
	connect(t, srv, "")
	res, err := srv.Client().Get(srv.URL)
	must(t, err)
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable ||
		res.Header.Get("Retry-After") == "" {
		t.Fatalf("a third client: %d, Retry-After %q; want 503 with it",
			res.StatusCode, res.Header.Get("Retry-After"))
	}
	first.close()
	deadline := time.Now().Add(10 * time.Second)
	for s.Active() > 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	connect(t, srv, "")
}
