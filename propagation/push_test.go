package propagation

import (
	"context"
	"fmt"
	"github.com/killswitch-dev/killswitch/store/sqlite"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/store"
)

func TestAPushedSessionRevocationVerifiesAtTheReceiver(t *testing.T) {
	r := newRig(t, Config{}, PushConfig{})
	rc := newReceiver(t, r.srv.URL, "https://gateway.example")
	stream := r.pushStream(rc)
	r.revoke("rev-1")
	r.pushAll()

	got := rc.received()
	if len(got) != 1 {
		t.Fatalf("receiver got %d SETs, want 1", len(got))
	}
	c := got[0].claims
	typ, members := event(t, c)
	if typ != EventSessionRevoked {
		t.Fatalf("event type = %s, want session-revoked", typ)
	}
	wantSub := map[string]any{"format": "complex",
		"user":    map[string]any{"format": "email", "email": "alice@example.com"},
		"session": map[string]any{"format": "opaque", "id": "ext-rev-1"}}
	if !reflect.DeepEqual(c["sub_id"], wantSub) {
		t.Fatalf("sub_id = %v, want %v", c["sub_id"], wantSub)
	}
	if members["initiating_entity"] != "policy" || c["txn"] != "sig-1" ||
		members["event_timestamp"] != float64(r.clock.Now().Unix()) {
		t.Fatalf("SET = %v, want policy as initiator, txn sig-1 and the time", c)
	}
	if ds := r.deliveries(stream, store.DeliveryDone); len(ds) != 1 {
		t.Fatalf("%d deliveries done, want 1", len(ds))
	}
}

func TestEachRevocationKindBecomesItsStandardEvent(t *testing.T) {
	r := newRig(t, Config{}, PushConfig{})
	rc := newReceiver(t, r.srv.URL, "https://gateway.example")
	r.pushStream(rc)
	at := r.clock.Now()
	must(t, r.tx.Publish(t.Context(), []engine.RevocationEvent{
		{ID: "c1", Type: "credential", TargetID: "alice-pw", PrincipalID: "alice",
			At: at, By: "operator:bob", Reason: "leaked"},
		{ID: "p1", Type: "principal", TargetID: "alice", PrincipalID: "alice",
			At: at, By: "policy:hijack"},
	}))
	r.pushAll()
	got := rc.received()
	if len(got) != 2 {
		t.Fatalf("receiver got %d SETs, want 2", len(got))
	}
	types := map[string]map[string]any{}
	for _, v := range got {
		typ, m := event(t, v.claims)
		types[typ] = m
		if v.claims["sub_id"].(map[string]any)["email"] != "alice@example.com" {
			t.Errorf("%s: sub_id = %v, want alice's email", typ, v.claims["sub_id"])
		}
	}
	cred := types[EventCredentialChange]
	if cred == nil || cred["credential_type"] != "password" ||
		cred["change_type"] != "revoke" || cred["initiating_entity"] != "admin" {
		t.Fatalf("credential-change = %v, want a revoked password by an admin", cred)
	}
	if _, ok := types[EventAccountDisabled]; !ok {
		t.Fatalf("no account-disabled among %v", types)
	}
}

func TestAStreamGetsOnlyTheEventsItAskedFor(t *testing.T) {
	r := newRig(t, Config{}, PushConfig{})
	rc := newReceiver(t, r.srv.URL, "https://gateway.example")
	r.createStream(map[string]any{"aud": rc.aud,
		"delivery": map[string]any{"method": store.DeliveryPush,
			"endpoint_url": rc.srv.URL, "authorization_header": rc.auth},
		"events_requested": []string{EventAccountDisabled}})
	r.revoke("rev-1")
	r.pushAll()
	if got := rc.received(); len(got) != 0 {
		t.Fatalf("receiver got %d SETs for an event it did not ask for", len(got))
	}
}

func TestAPushIsRetriedAfterTheReceiverAnswers503(t *testing.T) {
	// Retries -1: no immediate retry, so the stored backoff is what
	// brings the second try.
	r := newRig(t, Config{}, PushConfig{Retries: -1, Backoff: 5 * time.Second})
	rc := newReceiver(t, r.srv.URL, "https://gateway.example", 503)
	stream := r.pushStream(rc)
	r.revoke("rev-1")
	r.pushAll()
	pending := r.deliveries(stream, store.DeliveryPending)
	if len(pending) != 1 || !strings.Contains(pending[0].LastError, "503") {
		t.Fatalf("pending = %+v, want the SET waiting after a 503", pending)
	}
	r.clock.advance(4 * time.Second)
	r.pushAll()
	if len(rc.received()) != 0 {
		t.Fatal("retried before the backoff passed")
	}
	r.clock.advance(time.Second)
	r.pushAll()
	if got := rc.received(); len(got) != 1 || rc.hits != 2 {
		t.Fatalf("receiver got %d SETs in %d requests, want 1 in 2", len(got), rc.hits)
	}
}

func TestAPushRetriedAtOnceWithinOneAttempt(t *testing.T) {
	r := newRig(t, Config{}, PushConfig{Retries: 2})
	rc := newReceiver(t, r.srv.URL, "https://gateway.example", 503, 503)
	stream := r.pushStream(rc)
	r.revoke("rev-1")
	r.pushAll()
	done := r.deliveries(stream, store.DeliveryDone)
	if len(done) != 1 || done[0].Attempts != 1 || len(rc.received()) != 1 {
		t.Fatalf("done = %+v, want one delivery on its first attempt", done)
	}
}

func TestARefusedSETFailsForGoodWithTheReceiversReason(t *testing.T) {
	r := newRig(t, Config{}, PushConfig{})
	rc := newReceiver(t, r.srv.URL, "https://gateway.example")
	rc.aud = "https://someone-else.example" // so its aud check refuses
	stream := r.createStream(map[string]any{"aud": "https://gateway.example",
		"delivery": map[string]any{"method": store.DeliveryPush,
			"endpoint_url": rc.srv.URL, "authorization_header": rc.auth},
		"events_requested": EventsSupported})["stream_id"].(string)
	r.revoke("rev-1")
	r.pushAll()
	failed := r.deliveries(stream, store.DeliveryFailed)
	if len(failed) != 1 || !strings.Contains(failed[0].LastError, "400: invalid_key: aud") {
		t.Fatalf("failed = %+v, want the 400 with the receiver's err", failed)
	}
}

func TestAStreamWhoseReceiverHangsDoesNotHoldUpOthers(t *testing.T) {
	r := newRig(t, Config{}, PushConfig{Timeout: 30 * time.Second})
	release := make(chan struct{})
	var once sync.Once
	hung := newReceiver(t, r.srv.URL, "https://hung.example")
	hung.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		<-release
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	defer once.Do(func() { close(release) })
	good := newReceiver(t, r.srv.URL, "https://good.example")
	r.pushStream(hung)
	r.pushStream(good)
	r.revoke("rev-1")

	done := make(chan error, 1)
	go func() {
		_, err := r.pusher.RunOnce(t.Context())
		done <- err
	}()
	deadline := time.Now().Add(20 * time.Second)
	for len(good.received()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the good receiver got nothing while the other hung")
		}
		time.Sleep(10 * time.Millisecond)
	}
	once.Do(func() { close(release) })
	must(t, <-done)
}

func TestSecretsNeverReachLogsOrErrors(t *testing.T) {
	r := newRig(t, Config{}, PushConfig{Retries: -1})
	rc := newReceiver(t, r.srv.URL, "https://gateway.example", 500)
	// A closed port: the transport error must not carry the URL's token.
	dead := "http://127.0.0.1:1/hook?token=url-SECRET-token"
	r.createStream(map[string]any{"aud": "x",
		"delivery": map[string]any{"method": store.DeliveryPush,
			"endpoint_url": dead, "authorization_header": "Bearer hdr-SECRET"},
		"events_requested": EventsSupported})
	r.pushStream(rc)
	r.revoke("rev-1")
	r.pushAll()
	ds, err := r.store.ListDeliveries(t.Context(), store.DeliveryFilter{})
	must(t, err)
	var all strings.Builder
	all.WriteString(r.logs.String())
	for _, d := range ds {
		all.WriteString(d.LastError)
	}
	for _, secret := range []string{"url-SECRET", "hdr-SECRET", rc.auth, apiToken} {
		if strings.Contains(all.String(), secret) {
			t.Fatalf("%q leaked:\n%s", secret, all.String())
		}
	}
	// Reading the streams back gives the receiver its endpoint, never
	// the authorization header it gave.
	_, list := r.call("GET", PathStreams, nil)
	for _, secret := range []string{"hdr-SECRET", rc.auth} {
		if strings.Contains(string(list), secret) {
			t.Fatalf("%q read back: %s", secret, list)
		}
	}
	if !strings.Contains(r.logs.String(), "delivery will be retried") {
		t.Fatalf("no retry warning logged:\n%s", r.logs)
	}
}

func TestAQueuedSETSurvivesARestart(t *testing.T) {
	r := newRig(t, Config{}, PushConfig{Retries: -1})
	rc := newReceiver(t, r.srv.URL, "https://gateway.example", 503)
	r.pushStream(rc)
	r.revoke("rev-1")
	r.pushAll() // 503: the SET waits in the store
	must(t, r.store.Close())

	st, err := sqlite.Open(t.Context(), r.dbPath)
	must(t, err)
	t.Cleanup(func() { st.Close() })
	tx, err := New(r.tx.cfg, st, r.clock.Now, slog.New(slog.DiscardHandler))
	must(t, err)
	mux := http.NewServeMux()
	tx.Mount(mux, BearerAuth(apiToken))
	r.srv.Config.Handler = mux // the restarted process serves the JWKS
	r.clock.advance(time.Minute)
	n, err := NewPusher(tx, PushConfig{}).RunOnce(t.Context())
	must(t, err)
	if got := rc.received(); n != 1 || len(got) != 1 {
		t.Fatalf("after the restart: pushed %d, received %d; want 1 and 1", n, len(got))
	}
}

func TestFinishedDeliveriesArePrunedAfterTheyAreKept(t *testing.T) {
	r := newRig(t, Config{}, PushConfig{Keep: time.Hour})
	rc := newReceiver(t, r.srv.URL, "https://gateway.example")
	stream := r.pushStream(rc)
	r.revoke("rev-1")
	r.pushAll()
	r.clock.advance(30 * time.Minute)
	r.revoke("rev-2") // queued, not pushed: never pruned
	d, _, err := r.pusher.Prune(t.Context())
	must(t, err)
	if d != 0 {
		t.Fatalf("pruned %d deliveries inside the hour", d)
	}
	r.clock.advance(31 * time.Minute)
	d, _, err = r.pusher.Prune(t.Context())
	must(t, err)
	left := r.deliveries(stream, "")
	if d != 1 || len(left) != 1 || left[0].State != store.DeliveryPending {
		t.Fatalf("pruned %d, left %+v; want the pushed one gone, the queued one kept", d, left)
	}
}

func TestAReceiverThatRefusesTheTokenIsRetriedUntilItIsFixed(t *testing.T) {
	r := newRig(t, Config{}, PushConfig{Retries: -1})
	rc := newReceiver(t, r.srv.URL, "https://gateway.example", 401, 403)
	stream := r.pushStream(rc)
	r.revoke("rev-1")
	for range 3 {
		r.pushAll()
		r.clock.advance(time.Hour)
	}
	if got := rc.received(); len(got) != 1 || len(r.deliveries(stream, store.DeliveryDone)) != 1 {
		t.Fatalf("received %d after 401 and 403, want the SET delivered on the third try", len(got))
	}
}

func TestADeliveryFailsForGoodOnceItsRetryTimeIsOver(t *testing.T) {
	r := newRig(t, Config{}, PushConfig{Retries: -1, RetryFor: 2 * time.Hour})
	rc := newReceiver(t, r.srv.URL, "https://gateway.example", 503, 503, 503, 503)
	stream := r.pushStream(rc)
	r.revoke("rev-1")
	for range 3 {
		r.pushAll()
		r.clock.advance(time.Hour)
	}
	failed := r.deliveries(stream, store.DeliveryFailed)
	if len(failed) != 1 || failed[0].Attempts != 3 || !strings.Contains(failed[0].LastError, "503") {
		t.Fatalf("failed = %+v, want the SET failed on its third try with the 503", failed)
	}
}

func TestWhileOneReceiverHangsTheOthersGetEveryLaterSETToo(t *testing.T) {
	r := newRig(t, Config{}, PushConfig{Poll: 10 * time.Millisecond,
		Timeout: 30 * time.Second})
	release := make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	defer free()
	hung := newReceiver(t, r.srv.URL, "https://hung.example")
	hung.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		<-release
		w.WriteHeader(http.StatusAccepted)
	})
	good := newReceiver(t, r.srv.URL, "https://good.example")
	r.pushStream(hung)
	r.pushStream(good)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- r.pusher.Run(ctx) }()

	for round := 1; round <= 3; round++ {
		for i := range 5 {
			r.revoke(fmt.Sprintf("rev-%d-%d", round, i))
		}
		waitUntil(t, fmt.Sprintf("round %d at the good receiver", round),
			func() bool { return len(good.received()) == 5*round })
	}
	free()
	cancel()
	must(t, <-done)
}

// waitUntil polls cond, failing after a generous deadline (a hang, not a
// speed check).
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
