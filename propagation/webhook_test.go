package propagation

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/connectors/webhook"
	"github.com/killswitch-dev/killswitch/store"
)

// hookReceiver is a gateway's webhook endpoint: it checks the signature
// with the secret it was given, and answers with the statuses scripted
// first, then 200.
type hookReceiver struct {
	mu     sync.Mutex
	secret string
	now    func() time.Time
	script []int
	got    []WebhookPayload
	bad    []string
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.script) > 0 {
		w.WriteHeader(h.script[0])
		h.script = h.script[1:]
		return
	}
	err := webhook.Check([]byte(h.secret), r.Header, body, h.now(), time.Minute)
	var p WebhookPayload
	if err == nil {
		err = json.Unmarshal(body, &p)
	}
	if err != nil || r.Header.Get("Idempotency-Key") != p.ID {
		h.bad = append(h.bad, string(body))
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	h.got = append(h.got, p)
}

func TestAWebhookIsSignedRetriedAndItsSecretShownOnce(t *testing.T) {
	r := newRig(t, Config{}, PushConfig{Retries: -1})
	hook := &hookReceiver{script: []int{503}, now: r.clock.Now}
	srv := httptest.NewServer(hook)
	t.Cleanup(srv.Close)

	var created webhookView
	r.callOK(201, "POST", PathWebhooks, map[string]any{"url": srv.URL,
		"events": []string{WebhookSessionRevoked}}, &created)
	if len(created.SigningSecret) != 64 {
		t.Fatalf("signing_secret of %d characters, want 32 random bytes "+
			"in hex", len(created.SigningSecret))
	}
	hook.secret = created.SigningSecret
	_, list := r.call("GET", PathWebhooks, nil)
	_, one := r.call("GET", PathWebhooks+"/"+created.ID, nil)
	_, streams := r.call("GET", PathStreams, nil)
	for _, b := range [][]byte{list, one} {
		if strings.Contains(string(b), created.SigningSecret) || !strings.Contains(string(b), created.ID) {
			t.Fatalf("read back %d bytes: want the webhook, without its "+
				"secret (not printed)", len(b))
		}
	}
	if strings.Contains(string(streams), created.ID) {
		t.Fatal("a webhook is listed among the SSF streams")
	}

	r.revoke("rev-1")
	r.pushAll()
	r.clock.advance(time.Minute)
	r.pushAll()
	if len(hook.bad) > 0 || len(hook.got) != 1 {
		t.Fatalf("webhook got %d good and %v bad, want one good after a 503",
			len(hook.got), hook.bad)
	}
	p := hook.got[0]
	if p.Type != WebhookSessionRevoked || p.Revocation.TargetID != "s1" ||
		p.Revocation.PrincipalID != "alice" || p.ID != "rev-1" {
		t.Fatalf("payload = %+v", p)
	}
	if ds := r.deliveries(created.ID, store.DeliveryDone); len(ds) != 1 || ds[0].Attempts != 2 {
		t.Fatalf("deliveries = %+v, want one done on the second attempt", ds)
	}
	r.callOK(204, "DELETE", PathWebhooks+"/"+created.ID, nil, nil)
	r.callOK(404, "GET", PathWebhooks+"/"+created.ID, nil, nil)
}

func TestAWebhookForUnknownEventsIsRefused(t *testing.T) {
	r := newRig(t, Config{}, PushConfig{})
	status, body := r.call("POST", PathWebhooks, map[string]any{
		"url": "https://gw.example/hook", "events": []string{"session.created"}})
	if status != 400 || !strings.Contains(string(body), "events[0]") {
		t.Fatalf("= %d %s, want 400 naming events[0]", status, body)
	}
}

func TestAWebhookWithAMisspeltFieldIsRefusedNamingIt(t *testing.T) {
	r := newRig(t, Config{}, PushConfig{})
	for _, field := range []string{"event", "authorisation_header"} {
		status, body := r.call("POST", PathWebhooks, map[string]any{
			"url": "https://gw.example/hook", field: "x"})
		// The body is not printed: a registration answers its secret.
		if status != 400 || !strings.Contains(string(body), field) {
			t.Fatalf("a webhook with %q = %d, want 400 naming it",
				field, status)
		}
	}
	_, list := r.call("GET", PathWebhooks, nil)
	if strings.Contains(string(list), "gw.example") {
		t.Fatalf("a refused webhook was registered: %s", list)
	}
}
