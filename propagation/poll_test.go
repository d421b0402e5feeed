package propagation

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jws"

	"github.com/killswitch-dev/killswitch/store"
)

// pollStream registers a poll stream and returns its id and poll URL
// path.
func (r *rig) pollStream() (string, string) {
	r.t.Helper()
	cfg := r.createStream(map[string]any{"aud": "https://poller.example",
		"delivery":         map[string]any{"method": store.DeliveryPoll},
		"events_requested": EventsSupported})
	id := cfg["stream_id"].(string)
	url := cfg["delivery"].(map[string]any)["endpoint_url"].(string)
	if url != r.srv.URL+PathPoll+id {
		r.t.Fatalf("poll endpoint_url = %s", url)
	}
	return id, PathPoll + id
}

// pollOnce polls and returns the jtis it got, sorted, checking that each
// SET verifies against the JWKS and carries its jti.
func (r *rig) pollOnce(path string, req map[string]any) ([]string, bool) {
	r.t.Helper()
	var resp pollResponse
	r.callOK(200, "POST", path, req, &resp)
	keys, err := fetchJWKS(r.srv.URL)
	must(r.t, err)
	var jtis []string
	for id, set := range resp.Sets {
		payload, err := jws.Verify([]byte(set), jws.WithKeySet(keys))
		must(r.t, err)
		var c map[string]any
		must(r.t, json.Unmarshal(payload, &c))
		if c["jti"] != id || c["aud"] != "https://poller.example" {
			r.t.Fatalf("SET under %s = %v", id, c)
		}
		jtis = append(jtis, id)
	}
	slices.Sort(jtis)
	return jtis, resp.MoreAvailable
}

func TestPolledSETsAreOfferedUntilAcknowledged(t *testing.T) {
	r := newRig(t, Config{PollLease: time.Minute}, PushConfig{})
	_, path := r.pollStream()
	r.revoke("rev-1")
	r.revoke("rev-2")
	r.revoke("rev-3")

	first, more := r.pollOnce(path, map[string]any{"maxEvents": 2,
		"returnImmediately": true})
	if len(first) != 2 || !more {
		t.Fatalf("first poll = %v, more %v; want 2 and more available", first, more)
	}
	rest, more := r.pollOnce(path, map[string]any{"ack": first,
		"returnImmediately": true})
	if len(rest) != 1 || more || slices.Contains(first, rest[0]) {
		t.Fatalf("second poll = %v, more %v; want the third alone", rest, more)
	}
	none, _ := r.pollOnce(path, map[string]any{"returnImmediately": true})
	if len(none) != 0 {
		t.Fatalf("third poll = %v, want nothing while the third is unacknowledged", none)
	}
	r.clock.advance(time.Minute + time.Second)
	again, _ := r.pollOnce(path, map[string]any{"returnImmediately": true})
	if !slices.Equal(again, rest) {
		t.Fatalf("after the lease = %v, want %v offered again", again, rest)
	}
	acked, _ := r.pollOnce(path, map[string]any{"ack": rest, "maxEvents": 0})
	if len(acked) != 0 {
		t.Fatalf("an acknowledgement-only poll returned %v", acked)
	}
	r.clock.advance(2 * time.Minute)
	if left, _ := r.pollOnce(path, map[string]any{"returnImmediately": true}); len(left) != 0 {
		t.Fatalf("acknowledged SETs came back: %v", left)
	}
}

func TestASETTheReceiverReportsAnErrorForIsNotOfferedAgain(t *testing.T) {
	r := newRig(t, Config{PollLease: time.Second}, PushConfig{})
	id, path := r.pollStream()
	r.revoke("rev-1")
	got, _ := r.pollOnce(path, map[string]any{"returnImmediately": true})
	r.pollOnce(path, map[string]any{"maxEvents": 0, "setErrs": map[string]any{
		got[0]: map[string]any{"err": "invalid_key", "description": "unknown kid"}}})
	failed := r.deliveries(id, store.DeliveryFailed)
	if len(failed) != 1 || failed[0].LastError != "receiver: invalid_key: unknown kid" {
		t.Fatalf("failed = %+v, want the receiver's error kept", failed)
	}
}

func TestALongPollReturnsWhenASETIsQueued(t *testing.T) {
	r := newRig(t, Config{PollWait: 30 * time.Second}, PushConfig{})
	_, path := r.pollStream()
	got := make(chan []string, 1)
	go func() {
		jtis, _ := r.pollOnce(path, map[string]any{})
		got <- jtis
	}()
	// Publish until the poll, once waiting, is woken by one: a poll
	// that claimed before the first publish finds the next.
	for i := 0; ; i++ {
		select {
		case jtis := <-got:
			if len(jtis) == 0 {
				t.Fatal("the long poll returned empty")
			}
			return
		case <-time.After(50 * time.Millisecond):
			r.revoke("rev-" + string(rune('a'+i%26)) + time.Now().Format("150405.000000"))
		}
	}
}

func TestPollingAPushStreamIsRefused(t *testing.T) {
	r := newRig(t, Config{}, PushConfig{})
	rc := newReceiver(t, r.srv.URL, "https://gateway.example")
	id := r.pushStream(rc)
	status, _ := r.call("POST", PathPoll+id, map[string]any{})
	if status != 400 {
		t.Fatalf("polling a push stream = %d, want 400", status)
	}
	status, _ = r.call("POST", PathPoll+"nope", map[string]any{})
	if status != 404 {
		t.Fatalf("polling an unknown stream = %d, want 404", status)
	}
}

func TestAPollThatCannotBeMeantIsRefusedAndAcksNothing(t *testing.T) {
	cases := []struct {
		name, field string
		req         func(jti string) map[string]any
	}{
		{"a negative maxEvents", "maxEvents", func(jti string) map[string]any {
			return map[string]any{"ack": []string{jti}, "maxEvents": -1}
		}},
		{"a blank jti among the acks", "ack[1]", func(jti string) map[string]any {
			return map[string]any{"ack": []string{jti, " "}}
		}},
		{"an error report without its error code", "err", func(jti string) map[string]any {
			return map[string]any{"ack": []string{jti}, "setErrs": map[string]any{
				jti: map[string]any{"description": "no code"}}}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, Config{PollLease: time.Minute}, PushConfig{})
			stream, path := r.pollStream()
			r.revoke("rev-1")
			got, _ := r.pollOnce(path, map[string]any{"returnImmediately": true})
			req := c.req(got[0])
			req["returnImmediately"] = true
			status, body := r.call("POST", path, req)
			if status != 400 || !strings.Contains(string(body), c.field) {
				t.Fatalf("poll = %d %s, want 400 naming %s", status, body, c.field)
			}
			if done := r.deliveries(stream, store.DeliveryDone); len(done) != 0 {
				t.Fatalf("a refused poll acknowledged %d SETs", len(done))
			}
		})
	}
}

func TestSETsNobodyTakesFailOnceTheirRetryTimeIsOver(t *testing.T) {
	r := newRig(t, Config{}, PushConfig{RetryFor: 2 * time.Hour})
	polled, _ := r.pollStream()
	rc := newReceiver(t, r.srv.URL, "https://gateway.example")
	paused := r.pushStream(rc)
	r.callOK(200, "POST", PathStatus, map[string]any{"stream_id": paused,
		"status": store.StreamPaused}, nil)
	r.revoke("rev-1")
	r.clock.advance(time.Hour)
	r.revoke("rev-2")
	r.clock.advance(90 * time.Minute)
	_, _, err := r.pusher.Prune(t.Context())
	must(t, err)
	for _, stream := range []string{polled, paused} {
		failed := r.deliveries(stream, store.DeliveryFailed)
		pending := r.deliveries(stream, store.DeliveryPending)
		if len(failed) != 1 || len(pending) != 1 ||
			!strings.Contains(failed[0].LastError, "not delivered") {
			t.Fatalf("stream %s: %d failed, %d pending; want the SET "+
				"queued 2h30m ago failed, the one queued 1h30m ago kept",
				stream, len(failed), len(pending))
		}
	}
}
