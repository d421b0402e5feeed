package propagation

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"

	"github.com/killswitch-dev/killswitch/store"
)

// webhookRequest registers a webhook.
type webhookRequest struct {
	URL string `json:"url"`
	// Events are the webhook event types wanted; empty means all.
	Events      []string `json:"events,omitempty"`
	Description string   `json:"description,omitempty"`
	// AuthorizationHeader, when set, is sent with each webhook.
	AuthorizationHeader string `json:"authorization_header,omitempty"`
}

// webhookView is a webhook as it reads back. SigningSecret is set only
// in the answer to its creation: it is shown once.
type webhookView struct {
	ID            string   `json:"id"`
	URL           string   `json:"url"`
	Events        []string `json:"events"`
	Description   string   `json:"description,omitempty"`
	Status        string   `json:"status"`
	SigningSecret string   `json:"signing_secret,omitempty"`
}

func viewOf(st store.Stream) webhookView {
	return webhookView{ID: st.ID, URL: st.EndpointURL,
		Events: orEmpty(st.EventsDelivered), Description: st.Description,
		Status: st.Status}
}

// newWebhook checks a registration and builds its stream, with a fresh
// signing secret.
func (t *Transmitter) newWebhook(req webhookRequest) (store.Stream, error) {
	if err := checkEndpoint(req.URL); err != nil {
		return store.Stream{}, fmt.Errorf("url: %w", err)
	}
	events := req.Events
	if len(events) == 0 {
		events = WebhookEvents
	}
	for i, e := range events {
		if !slices.Contains(WebhookEvents, e) {
			return store.Stream{}, fmt.Errorf("events[%d]: %s is not one of %v",
				i, quote(e), WebhookEvents)
		}
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand.Read never fails on Linux
	now := t.clock()
	return store.Stream{ID: "whk_" + randomID(), Method: store.DeliveryWebhook,
		EndpointURL: req.URL, Authorization: store.Secret(req.AuthorizationHeader),
		SigningSecret:   store.Secret(hex.EncodeToString(key)),
		EventsRequested: events, EventsDelivered: events,
		Description: req.Description, Status: store.StreamEnabled,
		CreatedAt: now, UpdatedAt: now}, nil
}

func (t *Transmitter) createWebhook(w http.ResponseWriter, r *http.Request) {
	var req webhookRequest
	if !decodeStrict(w, r, &req) {
		return
	}
	st, err := t.newWebhook(req)
	if err != nil {
		problem(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	if err := t.store.PutStream(r.Context(), st); err != nil {
		t.internal(w, "create webhook", err)
		return
	}
	t.log.Info("webhook created", "stream_id", st.ID)
	t.audit(r, EventWebhookCreated, st)
	v := viewOf(st)
	v.SigningSecret = st.SigningSecret.Reveal()
	writeJSON(w, http.StatusCreated, v)
}

func (t *Transmitter) listWebhooks(w http.ResponseWriter, r *http.Request) {
	all, err := t.store.ListStreams(r.Context())
	if err != nil {
		t.internal(w, "list webhooks", err)
		return
	}
	out := []webhookView{}
	for _, st := range all {
		if st.Method == store.DeliveryWebhook {
			out = append(out, viewOf(st))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (t *Transmitter) readWebhook(w http.ResponseWriter, r *http.Request) {
	if st, ok := t.lookup(w, r, r.PathValue("id"), true); ok {
		writeJSON(w, http.StatusOK, viewOf(st))
	}
}

func (t *Transmitter) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	st, ok := t.lookup(w, r, r.PathValue("id"), true)
	if !ok {
		return
	}
	if err := t.store.DeleteStream(r.Context(), st.ID); err != nil {
		t.internal(w, "delete webhook", err)
		return
	}
	t.log.Info("webhook deleted", "stream_id", st.ID)
	t.audit(r, EventWebhookDeleted, st)
	w.WriteHeader(http.StatusNoContent)
}
