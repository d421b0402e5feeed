package propagation

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/killswitch-dev/killswitch/store"
)

// streamConfig is a stream configuration as SSF 1.0 section 8.1.1
// describes it. Transmitter-supplied members sent by a receiver are
// ignored.
type streamConfig struct {
	StreamID        string          `json:"stream_id,omitempty"`
	Issuer          string          `json:"iss,omitempty"`
	Audience        audienceList    `json:"aud,omitempty"`
	EventsSupported []string        `json:"events_supported,omitempty"`
	EventsRequested *[]string       `json:"events_requested,omitempty"`
	EventsDelivered []string        `json:"events_delivered,omitempty"`
	Delivery        *deliveryConfig `json:"delivery,omitempty"`
	Description     *string         `json:"description,omitempty"`
}

// deliveryConfig is a stream's delivery method. AuthorizationHeader is
// written by receivers and never read back.
type deliveryConfig struct {
	Method              string `json:"method"`
	EndpointURL         string `json:"endpoint_url,omitempty"`
	AuthorizationHeader string `json:"authorization_header,omitempty"`
}

// audienceList is aud: one string or an array of them.
type audienceList []string

// UnmarshalJSON accepts a string or an array of strings.
func (a *audienceList) UnmarshalJSON(b []byte) error {
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte(`"`)) {
		var s string
		err := json.Unmarshal(b, &s)
		*a = audienceList{s}
		return err
	}
	return json.Unmarshal(b, (*[]string)(a))
}

// MarshalJSON writes one audience as a string.
func (a audienceList) MarshalJSON() ([]byte, error) {
	return json.Marshal(audience(a))
}

// configOf is the stream as a receiver reads it: never its secret.
func (t *Transmitter) configOf(st store.Stream) streamConfig {
	d := &deliveryConfig{Method: st.Method, EndpointURL: st.EndpointURL}
	if st.Method == store.DeliveryPoll {
		d.EndpointURL = t.cfg.Issuer + PathPoll + st.ID
	}
	req := orEmpty(st.EventsRequested)
	return streamConfig{StreamID: st.ID, Issuer: t.cfg.Issuer,
		Audience: st.Audience, EventsSupported: EventsSupported,
		EventsRequested: &req, EventsDelivered: orEmpty(st.EventsDelivered),
		Delivery: d, Description: &st.Description}
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// apply sets what the receiver asked for on st. replace clears what the
// request leaves out (PUT); otherwise it is kept (PATCH).
func apply(st *store.Stream, req streamConfig, replace bool) error {
	if req.Delivery != nil || replace {
		if err := applyDelivery(st, req.Delivery); err != nil {
			return err
		}
	}
	if req.EventsRequested != nil || replace {
		st.EventsRequested = nil
		if req.EventsRequested != nil {
			st.EventsRequested = *req.EventsRequested
		}
		st.EventsDelivered = nil
		for _, e := range st.EventsRequested {
			if slices.Contains(EventsSupported, e) {
				st.EventsDelivered = append(st.EventsDelivered, e)
			}
		}
	}
	if req.Description != nil || replace {
		st.Description = ""
		if req.Description != nil {
			st.Description = *req.Description
		}
	}
	if len(req.Audience) > 0 {
		st.Audience = req.Audience
	}
	if len(st.Audience) == 0 {
		st.Audience = []string{st.ID}
	}
	return nil
}

// applyDelivery sets the delivery method; none means poll.
func applyDelivery(st *store.Stream, d *deliveryConfig) error {
	if d == nil || d.Method == "" {
		d = &deliveryConfig{Method: store.DeliveryPoll}
	}
	switch d.Method {
	case store.DeliveryPoll:
		st.EndpointURL = ""
	case store.DeliveryPush:
		if err := checkEndpoint(d.EndpointURL); err != nil {
			return fmt.Errorf("delivery.endpoint_url: %w", err)
		}
		st.EndpointURL = d.EndpointURL
	default:
		return fmt.Errorf("delivery.method: %q is not %s or %s",
			d.Method, store.DeliveryPush, store.DeliveryPoll)
	}
	st.Method = d.Method
	st.Authorization = store.Secret(d.AuthorizationHeader)
	return nil
}

// checkEndpoint accepts an absolute http(s) URL. The error does not
// repeat the URL, which may hold a secret.
func checkEndpoint(raw string) error {
	u, err := url.Parse(raw)
	if raw == "" {
		return fmt.Errorf("required")
	}
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("not an absolute http(s) URL")
	}
	return nil
}

func (t *Transmitter) createStream(w http.ResponseWriter, r *http.Request) {
	var req streamConfig
	if !decode(w, r, &req) {
		return
	}
	now := t.clock()
	st := store.Stream{ID: "str_" + randomID(), Status: store.StreamEnabled,
		CreatedAt: now, UpdatedAt: now}
	if err := apply(&st, req, true); err != nil {
		problem(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	if err := t.store.PutStream(r.Context(), st); err != nil {
		t.internal(w, "create stream", err)
		return
	}
	t.log.Info("stream created", "stream_id", st.ID, "method", st.Method)
	t.audit(r, EventStreamCreated, st)
	writeJSON(w, http.StatusCreated, t.configOf(st))
}

func (t *Transmitter) readStreams(w http.ResponseWriter, r *http.Request) {
	if id := r.URL.Query().Get("stream_id"); id != "" {
		if st, ok := t.lookup(w, r, id, false); ok {
			writeJSON(w, http.StatusOK, t.configOf(st))
		}
		return
	}
	all, err := t.store.ListStreams(r.Context())
	if err != nil {
		t.internal(w, "list streams", err)
		return
	}
	out := []streamConfig{}
	for _, st := range all {
		if st.Method != store.DeliveryWebhook {
			out = append(out, t.configOf(st))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (t *Transmitter) updateStream(w http.ResponseWriter, r *http.Request) {
	t.changeStream(w, r, false)
}

func (t *Transmitter) replaceStream(w http.ResponseWriter, r *http.Request) {
	t.changeStream(w, r, true)
}

// changeStream is PATCH (replace false) and PUT (replace true).
func (t *Transmitter) changeStream(w http.ResponseWriter, r *http.Request, replace bool) {
	var req streamConfig
	if !decode(w, r, &req) {
		return
	}
	st, ok := t.update(w, r, req.StreamID, false, func(st *store.Stream) error {
		if err := apply(st, req, replace); err != nil {
			return &requestError{msg: err.Error()}
		}
		return nil
	})
	if !ok {
		return
	}
	t.audit(r, EventStreamUpdated, st)
	writeJSON(w, http.StatusOK, t.configOf(st))
}

func (t *Transmitter) deleteStream(w http.ResponseWriter, r *http.Request) {
	st, ok := t.lookup(w, r, r.URL.Query().Get("stream_id"), false)
	if !ok {
		return
	}
	if err := t.store.DeleteStream(r.Context(), st.ID); err != nil {
		t.internal(w, "delete stream", err)
		return
	}
	t.log.Info("stream deleted", "stream_id", st.ID)
	t.audit(r, EventStreamDeleted, st)
	w.WriteHeader(http.StatusNoContent)
}
