package propagation

import (
	"context"
	"net/http"

	"github.com/killswitch-dev/killswitch/store"
)

// The audit events of stream management.
const (
	EventStreamCreated   = "stream.created"
	EventStreamUpdated   = "stream.updated"
	EventStreamDeleted   = "stream.deleted"
	EventStreamStatus    = "stream.status_changed"
	EventStreamSubject   = "stream.subject_changed"
	EventStreamVerified  = "stream.verification_requested"
	EventWebhookCreated  = "webhook.created"
	EventWebhookDeleted  = "webhook.deleted"
	EventSigningRotation = "signing_key.rotated"
)

// callerKey is how a request's authenticated caller is found.
type callerKey struct{}

// Caller names who made a request, for the audit trail: the name an
// authentication middleware put in the request's context with
// WithCaller, or "ssf-client" when none did (a shared bearer token).
func Caller(r *http.Request) string {
	if c, ok := r.Context().Value(callerKey{}).(string); ok && c != "" {
		return c
	}
	return "ssf-client"
}

// WithCaller returns r with its caller named, for Caller.
func WithCaller(r *http.Request, caller string) *http.Request {
	return r.WithContext(contextWithCaller(r, caller))
}

// audit appends what a management call changed. The endpoint URL and
// secrets are left out: the method and events say enough. The change is
// already made, so a failure to record it is logged, not answered.
func (t *Transmitter) audit(r *http.Request, event string, st store.Stream) {
	details := mustJSON(map[string]any{"method": st.Method,
		"events": st.EventsDelivered, "status": st.Status,
		"reason": st.StatusReason})
	err := t.store.AppendAudit(r.Context(), store.AuditEntry{Time: t.clock(),
		Actor: Caller(r), Event: event, Subject: st.ID, Details: details})
	if err != nil {
		t.log.Error("audit stream change", "stream_id", st.ID,
			"event", event, "err", err)
	}
}

func contextWithCaller(r *http.Request, caller string) context.Context {
	return context.WithValue(r.Context(), callerKey{}, caller)
}
