package propagation

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// landing records what reaches it after a redirect and answers 200, as
// a login page does.
type landing struct {
	mu   sync.Mutex
	hits []string // method and Authorization header of each request
}

func (l *landing) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	l.hits = append(l.hits, r.Method+" "+r.Header.Get("Authorization"))
	l.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func TestAPushEndpointThatRedirectsIsNeitherFollowedNorDelivered(t *testing.T) {
	for _, status := range []int{http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			r := newRig(t, Config{}, PushConfig{Retries: -1})
			land := &landing{}
			to := httptest.NewServer(land)
			t.Cleanup(to.Close)
			from := httptest.NewServer(http.RedirectHandler(to.URL+"/login", status))
			t.Cleanup(from.Close)
			cfg := r.createStream(map[string]any{"aud": "x",
				"delivery": map[string]any{"method": store.DeliveryPush,
					"endpoint_url":         from.URL + "/events",
					"authorization_header": "Bearer hdr-SECRET"},
				"events_requested": EventsSupported})
			stream := cfg["stream_id"].(string)
			r.revoke("rev-1")
			r.pushAll()

			if len(land.hits) != 0 {
				t.Fatalf("the redirect was followed: %q", land.hits)
			}
			if done := r.deliveries(stream, store.DeliveryDone); len(done) != 0 {
				t.Fatalf("a redirect counted as delivered: %+v", done)
			}
			waiting := r.deliveries(stream, store.DeliveryPending)
			if len(waiting) != 1 || !strings.Contains(waiting[0].LastError,
				"redirect") {
				t.Fatalf("pending = %+v, want the SET waiting with the "+
					"redirect as its error", waiting)
			}
		})
	}
}

func TestAReceiverAskingToWaitAnHourDoesNotHoldThePusher(t *testing.T) {
	r := newRig(t, Config{}, PushConfig{})
	throttle := httptest.NewServer(http.HandlerFunc(
		func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(http.StatusTooManyRequests)
		}))
	t.Cleanup(throttle.Close)
	cfg := r.createStream(map[string]any{"aud": "x",
		"delivery": map[string]any{"method": store.DeliveryPush,
			"endpoint_url": throttle.URL + "/events"},
		"events_requested": EventsSupported})
	stream := cfg["stream_id"].(string)
	r.revoke("rev-1")
	done := make(chan error, 1)
	go func() {
		_, err := r.pusher.RunOnce(t.Context())
		done <- err
	}()
	select {
	case err := <-done:
		must(t, err)
	case <-time.After(20 * time.Second):
		t.Fatal("a push is still waiting out the receiver's Retry-After " +
			"of an hour")
	}
	waiting := r.deliveries(stream, store.DeliveryPending)
	if len(waiting) != 1 || !waiting[0].NotBefore.After(
		r.clock.Now().Add(4*time.Minute)) {
		t.Fatalf("pending = %+v, want the SET waiting as long as the "+
			"receiver asked, up to the longest backoff", waiting)
	}
}
