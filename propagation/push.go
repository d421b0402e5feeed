package propagation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/killswitch-dev/killswitch/store"
)

// PushConfig tunes how queued deliveries are pushed.
type PushConfig struct {
	// Owner names this pusher in leases; default "pusher".
	Owner string
	// Lease is how long a claimed delivery is ours before another pusher
	// may take it (after a crash). Default 1m; it must outlast Timeout
	// times (Retries+1).
	Lease time.Duration
	// Poll is how often the queue is checked when nothing wakes the
	// pusher. Default 1s.
	Poll time.Duration
	// Batch is how many deliveries are claimed at once. Default 64.
	Batch int
	// Timeout bounds one HTTP request. Default 10s.
	Timeout time.Duration
	// Retries is how many times one push is tried again at once (go-
	// retryablehttp, on a network error, 429 or 5xx) before the delivery
	// is put back to wait. Default 2.
	Retries int
	// Backoff is the wait before a delivery is tried again after its
	// push failed; it doubles each time up to MaxBackoff. Defaults 2s and
	// 5m.
	Backoff    time.Duration
	MaxBackoff time.Duration
	// RetryFor is how long after it was queued a delivery is tried; then
	// it fails for good. Default 24h.
	RetryFor time.Duration
	// Keep is how long finished deliveries are kept (for `ssf streams
	// list` and inquiries) before they are pruned, with the signing keys
	// past their grace, once per PruneEvery. Defaults 7 days and 1h.
	Keep       time.Duration
	PruneEvery time.Duration
}

// WithDefaults returns c with unset fields at their defaults.
func (c PushConfig) WithDefaults() PushConfig {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if c.Owner == "" {
		c.Owner = "pusher"
	}
	if c.Batch <= 0 {
		c.Batch = 64
	}
	if c.Retries < 0 {
		c.Retries = 0
	} else if c.Retries == 0 {
		c.Retries = 2
	}
	def(&c.Lease, time.Minute)
	def(&c.Poll, time.Second)
	def(&c.Timeout, 10*time.Second)
	def(&c.Backoff, 2*time.Second)
	def(&c.MaxBackoff, 5*time.Minute)
	def(&c.RetryFor, 24*time.Hour)
	def(&c.Keep, 7*24*time.Hour)
	def(&c.PruneEvery, time.Hour)
	return c
}

// Pusher delivers queued SETs (RFC 8935) and webhooks. Each stream's
// deliveries of a batch are pushed in their own goroutine, so a receiver
// that hangs or fails holds up only its own stream; a failed delivery
// waits with backoff in the store, so retries survive a restart.
type Pusher struct {
	store  store.Propagation
	cfg    PushConfig
	client *retryablehttp.Client
	clock  func() time.Time
	log    *slog.Logger
	tx     *Transmitter
}

// NewPusher builds a pusher of t's deliveries.
func NewPusher(t *Transmitter, cfg PushConfig) *Pusher {
	cfg = cfg.WithDefaults()
	c := retryablehttp.NewClient()
	c.RetryMax = cfg.Retries
	c.RetryWaitMin, c.RetryWaitMax = 100*time.Millisecond, 2*time.Second
	c.HTTPClient.Timeout = cfg.Timeout
	c.Logger = nil // its messages carry endpoint URLs, which may hold secrets
	c.ErrorHandler = retryablehttp.PassthroughErrorHandler
	return &Pusher{store: t.store, cfg: cfg, client: c, clock: t.clock,
		log: t.log.With("component", "pusher"), tx: t}
}

// Run pushes until ctx is done.
func (p *Pusher) Run(ctx context.Context) error {
	tick := time.NewTicker(p.cfg.Poll)
	defer tick.Stop()
	var pruned time.Time
	for {
		if now := p.clock(); now.Sub(pruned) >= p.cfg.PruneEvery {
			p.prune(ctx)
			pruned = now
		}
		queued := p.tx.Queued()
		n, err := p.RunOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			p.log.Warn("work delivery queue", "err", err)
		}
		if n == p.cfg.Batch {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-queued:
		case <-tick.C:
		}
	}
}

// RunOnce claims one batch and pushes it, each stream's deliveries in
// their own goroutine. It returns how many it claimed.
func (p *Pusher) RunOnce(ctx context.Context) (int, error) {
	batch, err := p.store.ClaimDeliveries(ctx, store.DeliveryClaim{
		Owner: p.cfg.Owner, Now: p.clock(), Lease: p.cfg.Lease,
		Limit: p.cfg.Batch})
	if err != nil {
		return 0, fmt.Errorf("claim deliveries: %w", err)
	}
	byStream := map[string][]store.Delivery{}
	for _, d := range batch {
		byStream[d.StreamID] = append(byStream[d.StreamID], d)
	}
	var wg sync.WaitGroup
	errs := make([]error, 0, len(byStream))
	var mu sync.Mutex
	for id, ds := range byStream {
		wg.Go(func() {
			if err := p.pushStream(ctx, id, ds); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return len(batch), errors.Join(errs...)
}

// pushStream pushes one stream's deliveries in order. Only a failure to
// record an outcome is returned.
func (p *Pusher) pushStream(ctx context.Context, streamID string,
	ds []store.Delivery) error {
	st, err := p.store.GetStream(ctx, streamID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // deleted with its deliveries
	}
	if err != nil {
		return err
	}
	for _, d := range ds {
		if err := p.push(ctx, st, d); err != nil {
			return err
		}
	}
	return nil
}

// push sends one delivery and records how it went.
func (p *Pusher) push(ctx context.Context, st store.Stream, d store.Delivery) error {
	log := p.log.With("stream_id", st.ID, "delivery_id", d.ID,
		"event_type", d.EventType)
	start := time.Now()
	err := p.send(ctx, st, d)
	p.tx.metrics.pushed(st.Method, time.Since(start))
	if ctx.Err() != nil {
		return nil // the lease lapses and the delivery is taken up again
	}
	if err == nil {
		log.Debug("delivered", "attempts", d.Attempts)
		p.tx.metrics.outcome(st.Method, "delivered", 1)
		_, err := p.store.FinishDeliveries(ctx, st.ID, []string{d.ID},
			store.DeliveryDone, "", p.clock())
		return err
	}
	var perm *refusedError
	if errors.As(err, &perm) || p.clock().Sub(d.CreatedAt) >= p.cfg.RetryFor {
		log.Error("delivery failed", "attempts", d.Attempts, "err", err)
		p.tx.metrics.outcome(st.Method, "failed", 1)
		_, err := p.store.FinishDeliveries(ctx, st.ID, []string{d.ID},
			store.DeliveryFailed, err.Error(), p.clock())
		return err
	}
	p.tx.metrics.outcome(st.Method, "retried", 1)
	wait := p.backoff(d.Attempts)
	if d.LastError != err.Error() {
		log.Warn("delivery will be retried", "attempts", d.Attempts,
			"retry_in", wait, "err", err)
	}
	return p.store.RetryDelivery(ctx, st.ID, d.ID, err.Error(),
		p.clock().Add(wait))
}

func (p *Pusher) backoff(attempts int) time.Duration {
	d := p.cfg.Backoff
	for i := 1; i < attempts && d < p.cfg.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, p.cfg.MaxBackoff)
}

// refusedError is an answer that retrying cannot change: the receiver
// refused the SET (RFC 8935 section 2.3) or the request.
type refusedError struct{ msg string }

func (e *refusedError) Error() string { return e.msg }

// send POSTs the delivery and classifies the answer: 2xx is delivered;
// 400 (RFC 8935 section 2.3: the SET is refused), 410, 413, 415 and 422
// refuse it for good; any other status, like a network error, is worth
// another try, as a receiver may fix its token or endpoint (401, 403,
// 404) while the delivery waits.
func (p *Pusher) send(ctx context.Context, st store.Stream, d store.Delivery) error {
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodPost,
		st.EndpointURL, d.Body)
	if err != nil {
		return &refusedError{msg: "endpoint_url does not parse as a URL"}
	}
	if st.Method == store.DeliveryWebhook {
		signWebhook(req.Header, st, d, p.clock())
	} else {
		req.Header.Set("Content-Type", SETMediaType)
		req.Header.Set("Accept", "application/json")
	}
	if auth := st.Authorization.Reveal(); auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return fmt.Errorf("push: %s", transportError(err))
	}
	defer resp.Body.Close()
	return answer(resp)
}

// answer classifies a receiver's response.
func answer(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	switch resp.StatusCode {
	case http.StatusBadRequest, http.StatusGone, http.StatusRequestEntityTooLarge,
		http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity:
	default:
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			return nil
		}
		return fmt.Errorf("push: receiver answered %d", resp.StatusCode)
	}
	var e struct {
		Err         string `json:"err"`
		Description string `json:"description"`
	}
	msg := fmt.Sprintf("push: receiver refused with %d", resp.StatusCode)
	if json.Unmarshal(bytes.TrimSpace(body), &e) == nil && e.Err != "" {
		msg += fmt.Sprintf(": %s: %.200s", e.Err, e.Description)
	}
	return &refusedError{msg: msg}
}

// transportError describes a network failure without the URL, whose
// query or user info may hold a secret.
func transportError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	return err.Error()
}

// Prune deletes deliveries finished longer ago than Keep and signing
// keys past their grace. Run calls it once per PruneEvery.
func (p *Pusher) Prune(ctx context.Context) (deliveries, keys int, err error) {
	deliveries, err = p.store.PruneDeliveries(ctx, p.clock().Add(-p.cfg.Keep))
	if err != nil {
		return 0, 0, fmt.Errorf("prune deliveries: %w", err)
	}
	keys, err = p.tx.keys.Prune(ctx)
	if err != nil {
		return deliveries, 0, fmt.Errorf("prune signing keys: %w", err)
	}
	return deliveries, keys, nil
}

func (p *Pusher) prune(ctx context.Context) {
	d, k, err := p.Prune(ctx)
	switch {
	case err != nil && ctx.Err() == nil:
		p.log.Warn("prune", "err", err)
	case d > 0 || k > 0:
		p.log.Info("pruned", "deliveries", d, "signing_keys", k)
	}
}
