// Package propagation tells enforcement points of revocations by
// standard. It is a Shared Signals Framework 1.0 transmitter: receivers
// register streams through the stream management API, and each session
// revoked, credential revoked and principal disabled becomes a CAEP
// session-revoked, CAEP credential-change or RISC account-disabled
// Security Event Token, signed with a key kept in the store (published
// as a JWKS, rotated with a grace period), pushed (RFC 8935) or held for
// polling (RFC 8936). Gateways that want less register a webhook and get
// a JSON body signed with HMAC-SHA256, as connectors/webhook signs.
//
// The Transmitter is an engine.Publisher: the executor hands it each
// revocation before the action is marked done, and it queues one
// delivery per stream in the store, so nothing is lost to a crash. The
// Pusher works that queue with retries and backoff.
package propagation

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/store"
)

// Config configures the transmitter.
type Config struct {
	// Issuer is the transmitter's URL: the iss of every SET and the base
	// of every endpoint it advertises (https://killswitch.example.com).
	// Required; no query, fragment or trailing slash.
	Issuer string
	// Algorithm signs SETs: ES256 (default) or RS256.
	Algorithm string
	// KeyGrace is how long a retired signing key stays in the JWKS; it
	// should outlast the time a SET may wait for delivery (Push.RetryFor)
	// plus receivers' JWKS caching: PushConfig.MinKeyGrace. Default 48h.
	KeyGrace time.Duration
	// PollWait is the longest a poll that does not ask to return
	// immediately waits for a SET. Default 15s.
	PollWait time.Duration
	// PollLease is how long a polled SET waits for its acknowledgement
	// before it is offered again. Default 1m.
	PollLease time.Duration
	// Registerer, when set, gets the transmitter's metrics.
	Registerer prometheus.Registerer
}

// WithDefaults returns c with unset fields at their defaults.
func (c Config) WithDefaults() Config {
	c.Issuer = strings.TrimSuffix(c.Issuer, "/")
	if c.Algorithm == "" {
		c.Algorithm = "ES256"
	}
	if c.KeyGrace <= 0 {
		c.KeyGrace = 48 * time.Hour
	}
	if c.PollWait <= 0 {
		c.PollWait = 15 * time.Second
	}
	if c.PollLease <= 0 {
		c.PollLease = time.Minute
	}
	return c
}

// Validate checks c after defaults; errors name the field.
func (c Config) Validate() error {
	u, err := url.Parse(c.Issuer)
	switch {
	case c.Issuer == "":
		return errors.New("issuer: required (the URL receivers reach killswitch at)")
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		return fmt.Errorf("issuer: %q is not an http(s) URL", c.Issuer)
	case u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("issuer: %q must have no query or fragment", c.Issuer)
	case c.Algorithm != "ES256" && c.Algorithm != "RS256":
		return fmt.Errorf("algorithm: %q is not ES256 or RS256", c.Algorithm)
	}
	return nil
}

// Transmitter turns revocations into deliveries and serves the Shared
// Signals endpoints.
type Transmitter struct {
	cfg     Config
	store   store.Store
	keys    *Keys
	clock   func() time.Time
	log     *slog.Logger
	queued  notifier
	metrics *metrics
}

// New builds a transmitter over st.
func New(cfg Config, st store.Store, clock func() time.Time,
	log *slog.Logger) (*Transmitter, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("ssf transmitter: %w", err)
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	return &Transmitter{cfg: cfg, store: st, clock: clock, metrics: m,
		keys: NewKeys(st, cfg.Algorithm, cfg.KeyGrace, clock),
		log:  log.With("component", "ssf")}, nil
}

// Keys returns the transmitter's signing keys, to rotate them.
func (t *Transmitter) Keys() *Keys { return t.keys }

// Queued returns a channel closed when deliveries are next queued.
func (t *Transmitter) Queued() <-chan struct{} { return t.queued.wait() }

// Publish implements engine.Publisher: it queues, for every stream that
// asked for it, a signed SET or a webhook of each event. An error makes
// the executor retry the action; what was queued stays queued once.
func (t *Transmitter) Publish(ctx context.Context, events []engine.RevocationEvent) error {
	streams, err := t.liveStreams(ctx)
	if err != nil || len(streams) == 0 {
		return err
	}
	s, err := t.keys.active(ctx)
	if err != nil {
		return err
	}
	var ds []store.Delivery
	users := map[string]principal{} // one principal's sessions name it once
	for _, ev := range events {
		d, err := t.deliveriesFor(ctx, s, streams, users, ev)
		if err != nil {
			return fmt.Errorf("revocation %s: %w", ev.ID, err)
		}
		ds = append(ds, d...)
	}
	if err := t.store.EnqueueDeliveries(ctx, ds); err != nil {
		return fmt.Errorf("queue deliveries: %w", err)
	}
	methods := map[string]string{}
	for _, st := range streams {
		methods[st.ID] = st.Method
	}
	t.metrics.queue(ds, methods)
	t.queued.notify()
	return nil
}

// liveStreams are the streams that keep events: enabled and paused ones.
func (t *Transmitter) liveStreams(ctx context.Context) ([]store.Stream, error) {
	all, err := t.store.ListStreams(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(s store.Stream) bool {
		return s.Status == store.StreamDisabled
	}), nil
}

// deliveriesFor builds the deliveries of one revocation.
func (t *Transmitter) deliveriesFor(ctx context.Context, s signer,
	streams []store.Stream, users map[string]principal,
	ev engine.RevocationEvent) ([]store.Delivery, error) {
	typ := setType(ev)
	if typ == "" {
		return nil, nil
	}
	who, ok := users[ev.PrincipalID]
	if !ok {
		var err error
		if who, err = principalOf(ctx, t.store, ev.PrincipalID); err != nil {
			return nil, err
		}
		users[ev.PrincipalID] = who
	}
	sub, members, err := t.describe(ctx, who.subject, ev)
	if err != nil {
		return nil, err
	}
	var out []store.Delivery
	for _, st := range streams {
		var d store.Delivery
		switch {
		case st.Method == store.DeliveryWebhook:
			if !slices.Contains(st.EventsDelivered, webhookType(ev)) {
				continue
			}
			d, err = t.webhookDelivery(st, ev)
		case slices.Contains(st.EventsDelivered, typ) && !excluded(st, sub, who):
			c := newClaims(t.cfg.Issuer, st.Audience, jti(ev.ID, st.ID),
				txn(ev), t.clock())
			c.Subject, c.Events = sub, map[string]any{typ: members}
			d, err = t.setDelivery(s, st, typ, c)
		default:
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// txn ties the SETs of one cause together: the signal, or the action.
func txn(ev engine.RevocationEvent) string {
	if ev.SignalID != "" {
		return ev.SignalID
	}
	return ev.ActionID
}

// describe returns the subject of a revocation of something of user,
// and the members of its event.
func (t *Transmitter) describe(ctx context.Context, user subject,
	ev engine.RevocationEvent) (subject, map[string]any, error) {
	switch ev.Type {
	case "session":
		return sessionSubject(user, ev.TargetID, ev.ExternalID), caepFields(ev), nil
	case "credential":
		f := caepFields(ev)
		kind := ""
		if c, err := t.store.GetCredential(ctx, ev.TargetID); err == nil {
			kind = c.Kind
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, nil, err
		}
		f["credential_type"], f["change_type"] = credentialType(kind), "revoke"
		return user, f, nil
	}
	return user, map[string]any{}, nil
}

// setDelivery signs c with s as a delivery of st.
func (t *Transmitter) setDelivery(s signer, st store.Stream, typ string,
	c claims) (store.Delivery, error) {
	body, err := sign(s, c)
	if err != nil {
		return store.Delivery{}, err
	}
	return store.Delivery{ID: c.ID, StreamID: st.ID, EventType: typ,
		Body: body, CreatedAt: t.clock()}, nil
}

// Verify queues a verification event for the stream (SSF 1.0 section
// 8.1.4): the receiver learns the stream works end to end.
func (t *Transmitter) Verify(ctx context.Context, st store.Stream, state string) error {
	members := map[string]any{}
	if state != "" {
		members["state"] = state
	}
	c := newClaims(t.cfg.Issuer, st.Audience, randomID(), "", t.clock())
	c.Subject = subject{"format": "opaque", "id": st.ID}
	c.Events = map[string]any{EventVerification: members}
	s, err := t.keys.active(ctx)
	if err != nil {
		return err
	}
	d, err := t.setDelivery(s, st, EventVerification, c)
	if err != nil {
		return err
	}
	if err := t.store.EnqueueDeliveries(ctx, []store.Delivery{d}); err != nil {
		return fmt.Errorf("queue verification: %w", err)
	}
	t.metrics.queue([]store.Delivery{d}, map[string]string{st.ID: st.Method})
	t.queued.notify()
	return nil
}

func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on Linux
	return hex.EncodeToString(b)
}

// notifier wakes every waiter at once when something is queued.
type notifier struct {
	mu sync.Mutex
	ch chan struct{}
}

func (n *notifier) wait() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ch == nil {
		n.ch = make(chan struct{})
	}
	return n.ch
}

func (n *notifier) notify() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ch != nil {
		close(n.ch)
		n.ch = nil
	}
}

// mustJSON encodes values that always encode.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
