package propagation

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// The paths the transmitter serves, under its issuer URL.
const (
	PathConfiguration = "/.well-known/ssf-configuration"
	PathJWKS          = "/v1/ssf/jwks.json"
	PathStreams       = "/v1/ssf/streams"
	PathStatus        = "/v1/ssf/status"
	PathAddSubject    = "/v1/ssf/subjects:add"
	PathRemoveSubject = "/v1/ssf/subjects:remove"
	PathVerify        = "/v1/ssf/verify"
	PathPoll          = "/v1/ssf/poll/" // + stream id
	PathWebhooks      = "/v1/webhooks"
)

// Mount registers the transmitter's handlers on mux. The configuration
// document and the JWKS are public, as receivers fetch them before they
// hold any credential; auth wraps every other handler (stream
// management, polling, webhooks) and must refuse unauthenticated calls.
func (t *Transmitter) Mount(mux *http.ServeMux, auth func(http.Handler) http.Handler) {
	mux.HandleFunc("GET "+PathConfiguration, t.serveConfiguration)
	mux.HandleFunc("GET "+PathJWKS, t.serveJWKS)
	guarded := map[string]http.HandlerFunc{
		"POST " + PathStreams:              t.createStream,
		"GET " + PathStreams:               t.readStreams,
		"PATCH " + PathStreams:             t.updateStream,
		"PUT " + PathStreams:               t.replaceStream,
		"DELETE " + PathStreams:            t.deleteStream,
		"GET " + PathStatus:                t.readStatus,
		"POST " + PathStatus:               t.updateStatus,
		"POST " + PathAddSubject:           t.addSubject,
		"POST " + PathRemoveSubject:        t.removeSubject,
		"POST " + PathVerify:               t.verify,
		"POST " + PathPoll + "{id}":        t.poll,
		"POST " + PathWebhooks:             t.createWebhook,
		"GET " + PathWebhooks:              t.listWebhooks,
		"GET " + PathWebhooks + "/{id}":    t.readWebhook,
		"DELETE " + PathWebhooks + "/{id}": t.deleteWebhook,
	}
	for pattern, h := range guarded {
		mux.Handle(pattern, auth(h))
	}
}

// metadata is the transmitter configuration (SSF 1.0 section 7.1).
type metadata struct {
	SpecVersion       string           `json:"spec_version"`
	Issuer            string           `json:"issuer"`
	JWKSURI           string           `json:"jwks_uri"`
	DeliveryMethods   []string         `json:"delivery_methods_supported"`
	ConfigurationURL  string           `json:"configuration_endpoint"`
	StatusURL         string           `json:"status_endpoint"`
	AddSubjectURL     string           `json:"add_subject_endpoint"`
	RemoveSubjectURL  string           `json:"remove_subject_endpoint"`
	VerificationURL   string           `json:"verification_endpoint"`
	AuthorizationSchm []map[string]any `json:"authorization_schemes"`
	DefaultSubjects   string           `json:"default_subjects"`
}

func (t *Transmitter) serveConfiguration(w http.ResponseWriter, _ *http.Request) {
	iss := t.cfg.Issuer
	writeJSON(w, http.StatusOK, metadata{SpecVersion: "1_0", Issuer: iss,
		JWKSURI:          iss + PathJWKS,
		DeliveryMethods:  []string{store.DeliveryPush, store.DeliveryPoll},
		ConfigurationURL: iss + PathStreams, StatusURL: iss + PathStatus,
		AddSubjectURL: iss + PathAddSubject, RemoveSubjectURL: iss + PathRemoveSubject,
		VerificationURL: iss + PathVerify,
		// Bearer tokens (RFC 6750) authorize every management call.
		AuthorizationSchm: []map[string]any{{"spec_urn": "urn:ietf:rfc:6750"}},
		// Every subject's events go out unless a receiver removes it.
		DefaultSubjects: "ALL"})
}

func (t *Transmitter) serveJWKS(w http.ResponseWriter, r *http.Request) {
	set, err := t.keys.JWKS(r.Context())
	if err != nil {
		t.internal(w, "read signing keys", err)
		return
	}
	w.Header().Set("Content-Type", "application/jwk-set+json")
	// Short, so that a rotation reaches receivers well within the grace.
	w.Header().Set("Cache-Control",
		fmt.Sprintf("public, max-age=%d", int(jwksMaxAge.Seconds())))
	_ = json.NewEncoder(w).Encode(set)
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// problem answers with an RFC 9457 problem document whose code is
// stable, for clients to branch on.
func problem(w http.ResponseWriter, status int, code, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"type": "about:blank", "title": http.StatusText(status),
		"status": status, "code": code, "detail": detail})
}

// internal answers 500 and logs the cause, which never holds a secret.
func (t *Transmitter) internal(w http.ResponseWriter, what string, err error) {
	t.log.Error(what, "err", err)
	problem(w, http.StatusInternalServerError, "internal", what+" failed")
}

// jwksMaxAge is how long receivers may cache the JWKS.
const jwksMaxAge = 5 * time.Minute

// maxBody bounds a request body; stream configurations are small.
const maxBody = 64 << 10

// decode reads a JSON body into v, answering 400 when it does not fit.
// Unknown members are ignored, as SSF receivers may send members of
// later versions.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	return decodeBody(w, r, v, false)
}

// decodeStrict is decode for killswitch's own API: an unknown member is
// a 400 naming it, since a misspelt one ("event", "authorisation_header")
// would silently change what is registered.
func decodeStrict(w http.ResponseWriter, r *http.Request, v any) bool {
	return decodeBody(w, r, v, true)
}

func decodeBody(w http.ResponseWriter, r *http.Request, v any, strict bool) bool {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		problem(w, http.StatusBadRequest, "invalid_request",
			"body: "+strings.TrimPrefix(err.Error(), "json: "))
		return false
	}
	return true
}

// lookup reads a stream, answering 404 or 500 when it cannot.
func (t *Transmitter) lookup(w http.ResponseWriter, r *http.Request,
	id string, webhooks bool) (store.Stream, bool) {
	if id == "" {
		problem(w, http.StatusBadRequest, "invalid_request", "stream_id: required")
		return store.Stream{}, false
	}
	st, err := t.store.GetStream(r.Context(), id)
	if err == nil && (st.Method == store.DeliveryWebhook) == webhooks {
		return st, true
	}
	if err == nil || errors.Is(err, store.ErrNotFound) {
		problem(w, http.StatusNotFound, "not_found", "no stream "+quote(id))
		return store.Stream{}, false
	}
	t.internal(w, "read stream", err)
	return store.Stream{}, false
}

// requestError is a change a client asked for that cannot be made: it
// is answered 400 with its message.
type requestError struct{ msg string }

func (e *requestError) Error() string { return e.msg }

// update applies change to a stream in one store transaction, so that
// concurrent calls lose none of each other's changes. It answers 404 for
// an unknown stream (or one of the other kind, webhook or not), 400 for
// change's *requestError and 500 for anything else.
func (t *Transmitter) update(w http.ResponseWriter, r *http.Request,
	id string, webhooks bool, change func(*store.Stream) error) (store.Stream, bool) {
	if id == "" {
		problem(w, http.StatusBadRequest, "invalid_request", "stream_id: required")
		return store.Stream{}, false
	}
	st, err := t.store.UpdateStream(r.Context(), id, func(st *store.Stream) error {
		if (st.Method == store.DeliveryWebhook) != webhooks {
			return store.ErrNotFound
		}
		if err := change(st); err != nil {
			return err
		}
		st.UpdatedAt = t.clock()
		return nil
	})
	var bad *requestError
	switch {
	case err == nil:
		return st, true
	case errors.As(err, &bad):
		problem(w, http.StatusBadRequest, "invalid_request", bad.msg)
	case errors.Is(err, store.ErrNotFound):
		problem(w, http.StatusNotFound, "not_found", "no stream "+quote(id))
	default:
		t.internal(w, "update stream", err)
	}
	return store.Stream{}, false
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
