package revstream

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/sqlite"
)

var now = time.Date(2026, 12, 4, 8, 0, 0, 0, time.UTC)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// open opens a registry in a temporary file with principal alice, and
// returns it with the file's path.
func open(t *testing.T) (*sqlite.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ks.db")
	st, err := sqlite.Open(t.Context(), path)
	must(t, err)
	t.Cleanup(func() { st.Close() })
	must(t, st.PutPrincipal(t.Context(), store.Principal{ID: "alice",
		Kind: store.KindHuman}))
	return st, path
}

// lock places a lock on target: one log entry.
func lock(t *testing.T, st store.Store, target string) {
	t.Helper()
	must(t, st.PutLock(t.Context(), store.Lock{TargetType: "principal",
		Target: target, Reason: "test", CreatedBy: "operator:kim",
		CreatedAt: now}))
}

// event is one server-sent event as a client sees it; comment holds a
// comment line instead.
type event struct {
	id, typ, data, comment string
}

// sse is a connected client.
type sse struct {
	resp   *http.Response
	r      *bufio.Reader
	cancel context.CancelFunc
}

// connect opens the stream at srv with a Last-Event-ID (none when empty).
func connect(t *testing.T, srv *httptest.Server, lastID string) *sse {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	req, err := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	must(t, err)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := srv.Client().Do(req)
	must(t, err)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	c := &sse{resp: resp, r: bufio.NewReader(resp.Body), cancel: cancel}
	t.Cleanup(c.close)
	if e := c.next(t); e.data != "" || e.typ != "" {
		t.Fatalf("first event %+v, want the retry field only", e)
	}
	return c
}

func (c *sse) close() {
	c.cancel()
	c.resp.Body.Close()
}

// next reads the next event or comment, failing after ten seconds.
func (c *sse) next(t *testing.T) event {
	t.Helper()
	type result struct {
		e   event
		err error
	}
	ch := make(chan result, 1)
	go func() {
		var e event
		for {
			line, err := c.r.ReadString('\n')
			if err != nil {
				ch <- result{e, err}
				return
			}
			line = strings.TrimSuffix(line, "\n")
			k, v, _ := strings.Cut(line, ": ")
			switch {
			case line == "":
				ch <- result{e, nil}
				return
			case k == "":
				e.comment = v
			case k == "id":
				e.id = v
			case k == "event":
				e.typ = v
			case k == "data":
				e.data = v
			}
		}
	}()
	select {
	case r := <-ch:
		must(t, r.err)
		return r.e
	case <-time.After(10 * time.Second):
		t.Fatal("no event within ten seconds")
	}
	return event{}
}

// entry decodes an event's data.
func (e event) entry(t *testing.T) store.RevocationEntry {
	t.Helper()
	var re store.RevocationEntry
	must(t, json.Unmarshal([]byte(e.data), &re))
	if fmt.Sprint(re.Seq) != e.id || re.Type != e.typ {
		t.Fatalf("event id %s, type %s carries entry %d of type %s",
			e.id, e.typ, re.Seq, re.Type)
	}
	return re
}

func serve(t *testing.T, s *Stream, allow Allow) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) { s.Serve(w, r, allow) }))
	t.Cleanup(srv.Close)
	return srv
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestResumeSendsExactlyWhatWasMissed(t *testing.T) {
	st, _ := open(t)
	for _, target := range []string{"a", "b", "c", "d"} {
		lock(t, st, target)
	}
	es, err := st.RevocationLog(t.Context(), 0, 0)
	must(t, err)
	srv := serve(t, New(st, Config{}, quiet()), nil)
	c := connect(t, srv, fmt.Sprint(es[1].Seq))
	for _, want := range es[2:] {
		e := c.next(t)
		if got := e.entry(t); got.Seq != want.Seq || got.LockTarget != want.LockTarget {
			t.Fatalf("got %+v, want %+v", got, want)
		}
		if e.typ != store.EntryLockPlaced {
			t.Fatalf("event type %q", e.typ)
		}
	}
}

func TestANewClientStartsAtTheEnd(t *testing.T) {
	st, _ := open(t)
	lock(t, st, "old")
	s := New(st, Config{Poll: 10 * time.Millisecond}, quiet())
	c := connect(t, serve(t, s, nil), "")
	lock(t, st, "new")
	if got := c.next(t).entry(t); got.LockTarget != "new" {
		t.Fatalf("first event is about %q, want the new lock", got.LockTarget)
	}
}

func TestPublishWakesTheStreamAtOnce(t *testing.T) {
	st, _ := open(t)
	s := New(st, Config{Poll: time.Hour, Heartbeat: time.Hour}, quiet())
	c := connect(t, serve(t, s, nil), "0")
	lock(t, st, "alice")
	must(t, s.Publish(t.Context(), nil))
	if got := c.next(t).entry(t); got.LockTarget != "alice" {
		t.Fatalf("event about %q", got.LockTarget)
	}
}

func TestAnotherProcessIsSeenWithinAPoll(t *testing.T) {
	st, path := open(t)
	other, err := sqlite.Open(t.Context(), path)
	must(t, err)
	defer other.Close()
	s := New(st, Config{Poll: 10 * time.Millisecond}, quiet())
	c := connect(t, serve(t, s, nil), "0")
	lock(t, other, "alice")
	if got := c.next(t).entry(t); got.LockTarget != "alice" {
		t.Fatalf("event about %q", got.LockTarget)
	}
}

func TestAnIdleStreamSendsHeartbeats(t *testing.T) {
	st, _ := open(t)
	s := New(st, Config{Heartbeat: 10 * time.Millisecond}, quiet())
	c := connect(t, serve(t, s, nil), "")
	if e := c.next(t); e.comment != "heartbeat" || e.data != "" {
		t.Fatalf("got %+v, want a heartbeat comment", e)
	}
}

func TestADisconnectedClientFreesItsStream(t *testing.T) {
	st, _ := open(t)
	s := New(st, Config{Poll: time.Hour, Heartbeat: time.Hour}, quiet())
	srv := serve(t, s, nil)
	c := connect(t, srv, "")
	if n := s.Active(); n != 1 {
		t.Fatalf("%d active streams, want 1", n)
	}
	c.close()
	deadline := time.Now().Add(10 * time.Second)
	for s.Active() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the stream is still served after its client left")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestEntriesNotAllowedAreSkippedButCounted(t *testing.T) {
	st, _ := open(t)
	lock(t, st, "secret-team")
	lock(t, st, "alice")
	lock(t, st, "secret-team")
	es, err := st.RevocationLog(t.Context(), 0, 0)
	must(t, err)
	allow := func(e store.RevocationEntry) bool {
		return e.LockTarget != "secret-team"
	}
	c := connect(t, serve(t, New(st, Config{}, quiet()), allow), "0")
	if got := c.next(t).entry(t); got.LockTarget != "alice" {
		t.Fatalf("first event about %q, want alice", got.LockTarget)
	}
	if e := c.next(t); e.id != fmt.Sprint(es[2].Seq) || e.data != "" {
		t.Fatalf("got %+v, want only the id %d", e, es[2].Seq)
	}
}

func TestABadLastEventIDIsAProblem(t *testing.T) {
	st, _ := open(t)
	srv := serve(t, New(st, Config{}, quiet()), nil)
	for _, id := range []string{"abc", "-1", "1.5", "99999999"} {
		req, _ := http.NewRequest("GET", srv.URL, nil)
		req.Header.Set("Last-Event-ID", id)
		resp, err := srv.Client().Do(req)
		must(t, err)
		var p map[string]any
		must(t, json.NewDecoder(resp.Body).Decode(&p))
		resp.Body.Close()
		detail, _ := p["detail"].(string)
		if resp.StatusCode != 400 ||
			!strings.Contains(detail, "Last-Event-ID header") ||
			!strings.Contains(detail, id) {
			t.Fatalf("%q: %d %v, want 400 naming the header and value",
				id, resp.StatusCode, p)
		}
	}
}

func TestMetricsCountClientsAndEvents(t *testing.T) {
	st, _ := open(t)
	lock(t, st, "a")
	lock(t, st, "b")
	s := New(st, Config{}, quiet())
	reg := prometheus.NewPedanticRegistry()
	must(t, s.Register(reg))
	c := connect(t, serve(t, s, nil), "0")
	c.next(t)
	c.next(t)
	if n, err := testutil.GatherAndCount(reg); err != nil || n != 2 {
		t.Fatalf("%d metrics, %v", n, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for testutil.ToFloat64(s.sent) != 2 { // counted once flushed
		if time.Now().After(deadline) {
			t.Fatalf("%v events counted, want 2", testutil.ToFloat64(s.sent))
		}
		time.Sleep(5 * time.Millisecond)
	}
	want := "# HELP killswitch_revocation_stream_clients Clients connected " +
		"to the revocation stream.\n# TYPE killswitch_revocation_stream_clients " +
		"gauge\nkillswitch_revocation_stream_clients 1\n"
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"killswitch_revocation_stream_clients"); err != nil {
		t.Fatal(err)
	}
}

// A client that resumes before the pruned head of the log has missed
// revocations: it is told so, then gets what is left.
func TestResumingBeforeThePrunedHeadSendsAGap(t *testing.T) {
	st, _ := open(t)
	for _, target := range []string{"a", "b", "c", "d"} {
		lock(t, st, target)
	}
	es, err := st.RevocationLog(t.Context(), 0, 0)
	must(t, err)
	n, through, err := st.PruneRevocationLog(t.Context(),
		time.Now().Add(24*time.Hour))
	must(t, err)
	if n != 3 || through != es[2].Seq {
		t.Fatalf("pruned %d through %d, want 3 through %d", n, through,
			es[2].Seq)
	}
	srv := serve(t, New(st, Config{}, quiet()), nil)
	for _, from := range []int64{0, es[0].Seq} {
		c := connect(t, srv, fmt.Sprint(from))
		e := c.next(t)
		var gap Gap
		if e.typ != "gap" || e.id != "" {
			t.Fatalf("from %d: first event %+v, want a gap event without id",
				from, e)
		}
		must(t, json.Unmarshal([]byte(e.data), &gap))
		if gap.After != from || gap.PrunedThrough != es[2].Seq ||
			!strings.Contains(gap.Detail, "reconcile") {
			t.Fatalf("from %d: gap %+v, want after %d through %d", from, gap,
				from, es[2].Seq)
		}
		if got := c.next(t).entry(t); got.Seq != es[3].Seq {
			t.Fatalf("from %d: after the gap %+v, want entry %d", from, got,
				es[3].Seq)
		}
		c.close()
	}
	c := connect(t, srv, fmt.Sprint(es[2].Seq))
	if e := c.next(t); e.typ != store.EntryLockPlaced || e.id != fmt.Sprint(es[3].Seq) {
		t.Fatalf("from the pruned head: %+v, want entry %d and no gap", e,
			es[3].Seq)
	}
}
