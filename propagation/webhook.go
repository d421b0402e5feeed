package propagation

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/killswitch-dev/killswitch/connectors/webhook"
	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/store"
)

// The event types a webhook may ask for.
const (
	WebhookSessionRevoked    = "session.revoked"
	WebhookCredentialRevoked = "credential.revoked"
	WebhookPrincipalDisabled = "principal.disabled"
)

// WebhookEvents are every webhook event type, the default of a webhook.
var WebhookEvents = []string{WebhookSessionRevoked,
	WebhookCredentialRevoked, WebhookPrincipalDisabled}

// WebhookPayload is the JSON body of a webhook. ID is the revocation's:
// the same for every retry, also sent as the Idempotency-Key header.
type WebhookPayload struct {
	ID         string                 `json:"id"`
	Type       string                 `json:"type"`
	Revocation engine.RevocationEvent `json:"revocation"`
}

// webhookType maps a revocation to its webhook event type.
func webhookType(ev engine.RevocationEvent) string {
	switch ev.Type {
	case "session":
		return WebhookSessionRevoked
	case "credential":
		return WebhookCredentialRevoked
	case "principal":
		return WebhookPrincipalDisabled
	}
	return ""
}

// webhookDelivery is the delivery of ev to the webhook st.
func (t *Transmitter) webhookDelivery(st store.Stream,
	ev engine.RevocationEvent) (store.Delivery, error) {
	typ := webhookType(ev)
	body, err := json.Marshal(WebhookPayload{ID: ev.ID, Type: typ, Revocation: ev})
	if err != nil {
		return store.Delivery{}, fmt.Errorf("encode webhook %s: %w", ev.ID, err)
	}
	return store.Delivery{ID: ev.ID, StreamID: st.ID, EventType: typ,
		Body: body, CreatedAt: t.clock()}, nil
}

// signWebhook sets the headers that let the receiver check a webhook:
// the timestamp and HMAC-SHA256 signature of connectors/webhook, and the
// idempotency key.
func signWebhook(h http.Header, st store.Stream, d store.Delivery, now time.Time) {
	h.Set("Content-Type", "application/json")
	h.Set(webhook.TimestampHeader, strconv.FormatInt(now.Unix(), 10))
	h.Set(webhook.SignatureHeader,
		webhook.Sign([]byte(st.SigningSecret.Reveal()), now, d.Body))
	h.Set("Idempotency-Key", d.ID)
}
