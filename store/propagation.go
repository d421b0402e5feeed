package store

import (
	"context"
	"encoding/json"
	"time"
)

// Delivery methods a stream may use.
const (
	// DeliveryPush is RFC 8935: the transmitter POSTs each SET to the
	// receiver's endpoint.
	DeliveryPush = "urn:ietf:rfc:8935"
	// DeliveryPoll is RFC 8936: the receiver polls the transmitter and
	// acknowledges what it got.
	DeliveryPoll = "urn:ietf:rfc:8936"
	// DeliveryWebhook is killswitch's own signed JSON push, for gateways
	// that do not speak the Shared Signals Framework.
	DeliveryWebhook = "urn:killswitch:delivery:webhook"
)

// Stream statuses, as the Shared Signals Framework names them.
const (
	// StreamEnabled streams get their events as they happen.
	StreamEnabled = "enabled"
	// StreamPaused streams have their events held until enabled again.
	StreamPaused = "paused"
	// StreamDisabled streams get nothing; events are not kept for them.
	StreamDisabled = "disabled"
)

// Delivery states.
const (
	DeliveryPending = "pending"
	DeliveryRunning = "running"
	DeliveryDone    = "done"
	DeliveryFailed  = "failed"
)

// Secret is a value killswitch must send but never show: it prints,
// formats and encodes to JSON as a placeholder. Reveal gives the value.
type Secret string

const redacted = "[redacted]"

// Reveal returns the secret's value, for the one place that sends it.
func (s Secret) Reveal() string { return string(s) }

// String implements fmt.Stringer with a placeholder.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return s.String() }

// MarshalJSON encodes the placeholder, never the value.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// SigningKey is a key that signs Security Event Tokens. Private holds the
// PKCS #8 DER of the private key and never prints. A key is active until
// RetiredAt is set; a retired key stays published (in the JWKS) for a
// grace period so that receivers can check what it signed before.
type SigningKey struct {
	ID        string    `json:"kid"`
	Algorithm string    `json:"alg"` // ES256 or RS256
	Private   Secret    `json:"private"`
	CreatedAt time.Time `json:"created_at"`
	RetiredAt time.Time `json:"retired_at,omitzero"`
}

// Stream is one receiver's subscription to revocation events: a Shared
// Signals stream, or a webhook (Method DeliveryWebhook).
type Stream struct {
	ID string `json:"stream_id"`
	// Audience is the SETs' aud; empty for a webhook.
	Audience []string `json:"aud,omitempty"`
	Method   string   `json:"method"`
	// EndpointURL is where pushes and webhooks go; empty for poll.
	EndpointURL string `json:"endpoint_url,omitempty"`
	// Authorization is the Authorization header value sent with each
	// push.
	Authorization Secret `json:"authorization_header,omitempty"`
	// SigningSecret signs each webhook (HMAC-SHA256).
	SigningSecret   Secret   `json:"signing_secret,omitempty"`
	EventsRequested []string `json:"events_requested,omitempty"`
	// EventsDelivered is the part of EventsRequested the transmitter
	// supports: what the stream gets.
	EventsDelivered []string `json:"events_delivered,omitempty"`
	Description     string   `json:"description,omitempty"`
	Status          string   `json:"status"`
	StatusReason    string   `json:"reason,omitempty"`
	// Excluded holds subjects (RFC 9493 subject identifiers, as JSON)
	// removed from the stream: their events are not delivered.
	Excluded  []json.RawMessage `json:"excluded_subjects,omitempty"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
}

// Delivery is one payload queued for one stream: a signed SET, or a
// webhook's JSON body. ID is unique within the stream (a SET's jti), so
// queueing the same event twice queues it once.
type Delivery struct {
	ID        string `json:"id"`
	StreamID  string `json:"stream_id"`
	EventType string `json:"event_type"`
	// Body is the compact SET or the webhook JSON, sent as is.
	Body      []byte    `json:"-"`
	State     string    `json:"state"`
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// NotBefore is when a pending delivery may be tried; LeaseUntil when
	// a running one's claim lapses (a poll's SET is offered again).
	NotBefore  time.Time `json:"not_before,omitzero"`
	LeaseUntil time.Time `json:"lease_until,omitzero"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
}

// DeliveryClaim says which deliveries ClaimDeliveries leases.
type DeliveryClaim struct {
	Owner string
	// StreamID, when set, claims that stream's deliveries (a poll);
	// empty claims those of every stream that is pushed to.
	StreamID string
	// Except names streams whose deliveries are left alone: those the
	// pusher is still working on.
	Except []string
	Now    time.Time
	Lease  time.Duration
	Limit  int
}

// DeliveryFilter selects deliveries, oldest first; zero fields match
// everything.
type DeliveryFilter struct {
	StreamID string
	State    string
	Limit    int
}

// Propagation holds what killswitch needs to tell enforcement points of
// revocations by standard: the keys that sign Security Event Tokens, the
// receivers' streams, and the deliveries queued for them.
type Propagation interface {
	// RotateSigningKey stores k as the active key and retires every
	// other active key at k.CreatedAt, in one transaction.
	RotateSigningKey(ctx context.Context, k SigningKey) error
	// ListSigningKeys returns every key, newest first.
	ListSigningKeys(ctx context.Context) ([]SigningKey, error)
	// PruneSigningKeys deletes the keys retired before cutoff.
	PruneSigningKeys(ctx context.Context, cutoff time.Time) (int, error)

	// PutStream inserts or replaces a stream.
	PutStream(ctx context.Context, s Stream) error
	// UpdateStream reads the stream, lets change edit it and writes it
	// back, in one transaction: changes of one stream, from any
	// instance, apply one after another and none is lost. An unknown id
	// is ErrNotFound; an error from change (returned as it is, wrapped)
	// writes nothing. The id cannot be changed.
	UpdateStream(ctx context.Context, id string,
		change func(*Stream) error) (Stream, error)
	// GetStream returns ErrNotFound for an unknown id.
	GetStream(ctx context.Context, id string) (Stream, error)
	// ListStreams returns every stream, oldest first.
	ListStreams(ctx context.Context) ([]Stream, error)
	// DeleteStream deletes a stream and its deliveries, or returns
	// ErrNotFound.
	DeleteStream(ctx context.Context, id string) error

	// EnqueueDeliveries stores pending deliveries; one whose (StreamID,
	// ID) exists already is left as it is.
	EnqueueDeliveries(ctx context.Context, ds []Delivery) error
	// ClaimDeliveries leases up to c.Limit runnable deliveries of
	// enabled streams to c.Owner: pending ones whose NotBefore has
	// passed and running ones whose lease lapsed, oldest first. Claimed
	// deliveries are running, with Attempts incremented and LeaseUntil
	// = c.Now + c.Lease.
	ClaimDeliveries(ctx context.Context, c DeliveryClaim) ([]Delivery, error)
	// FinishDeliveries moves the stream's deliveries with those ids to a
	// final state (done, failed) at time at; ids not pending or running
	// are left alone. It returns how many it moved.
	FinishDeliveries(ctx context.Context, streamID string, ids []string,
		state, lastErr string, at time.Time) (int, error)
	// RetryDelivery puts a claimed delivery back to pending, runnable
	// again at notBefore, keeping lastErr.
	RetryDelivery(ctx context.Context, streamID, id, lastErr string,
		notBefore time.Time) error
	ListDeliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, error)
	// ExpireDeliveries fails, at time at with lastErr, the deliveries
	// queued before cutoff that are still pending (or running with their
	// lease over): a paused stream's, an unpolled one's. It returns how
	// many it failed.
	ExpireDeliveries(ctx context.Context, cutoff time.Time, lastErr string,
		at time.Time) (int, error)
	// PruneDeliveries deletes the done and failed deliveries finished
	// before cutoff.
	PruneDeliveries(ctx context.Context, cutoff time.Time) (int, error)
}
