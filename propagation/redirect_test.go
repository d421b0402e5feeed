package propagation

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

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
