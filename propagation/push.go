package propagation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
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

// MinKeyGrace is the shortest Config.KeyGrace that keeps every SET a
// pusher with c may still deliver verifiable: a SET is signed when it
// is queued and tried for RetryFor, and receivers cache the JWKS for
// up to jwksMaxAge.
func (c PushConfig) MinKeyGrace() time.Duration {
	return c.WithDefaults().RetryFor + jwksMaxAge
}

// Pusher delivers queued SETs (RFC 8935) and webhooks. Each stream is
// pushed to by its own goroutine while the pusher goes on claiming the
// other streams' deliveries, so a receiver that hangs or fails holds up
// only its own stream; a failed delivery waits with backoff in the
// store, so retries survive a restart.
type Pusher struct {
	store  store.Propagation
	cfg    PushConfig
	client *retryablehttp.Client
	clock  func() time.Time
	log    *slog.Logger
	tx     *Transmitter

	mu   sync.Mutex
	busy map[string]bool // streams a goroutine is pushing to
	errs []error         // failures to record an outcome, for RunOnce
	idle chan struct{}   // a stream's goroutine finished
	wg   sync.WaitGroup
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
	// A receiver's Retry-After is waited out in the store (see push), not
	// in the request: uncapped, it held a stream's push for as long as
	// the receiver asked.
	c.Backoff = func(lo, hi time.Duration, n int, resp *http.Response) time.Duration {
		return min(retryablehttp.DefaultBackoff(lo, hi, n, resp), hi)
	}
	// A redirect is answered, not followed: following would resend the
	// authorization header elsewhere and could turn the POST into a GET
	// that a login page answers 200, losing the SET as delivered.
	c.HTTPClient.CheckRedirect = func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}
	return &Pusher{store: t.store, cfg: cfg, client: c, clock: t.clock,
		log: t.log.With("component", "pusher"), tx: t,
		busy: map[string]bool{}, idle: make(chan struct{}, 1)}
}

// Run pushes until ctx is done, then waits for the streams' goroutines.
func (p *Pusher) Run(ctx context.Context) error {
	defer p.wg.Wait()
	tick := time.NewTicker(p.cfg.Poll)
	defer tick.Stop()
	var pruned time.Time
	for {
		if now := p.clock(); now.Sub(pruned) >= p.cfg.PruneEvery {
			p.prune(ctx)
			pruned = now
		}
		queued := p.tx.Queued()
		n, err := p.dispatch(ctx)
		if err = errors.Join(err, p.takeErrors()); err != nil && ctx.Err() == nil {
			p.log.Warn("work delivery queue", "err", err)
		}
		if n == p.cfg.Batch {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-queued:
		case <-p.idle:
		case <-tick.C:
		}
	}
}

// RunOnce claims one batch, pushes it and waits until every stream's
// goroutine is done. It returns how many deliveries it claimed.
func (p *Pusher) RunOnce(ctx context.Context) (int, error) {
	n, err := p.dispatch(ctx)
	p.wg.Wait()
	return n, errors.Join(err, p.takeErrors())
}

// dispatch claims runnable deliveries of the streams no goroutine is
// pushing to and starts one goroutine per stream.
func (p *Pusher) dispatch(ctx context.Context) (int, error) {
	p.mu.Lock()
	except := make([]string, 0, len(p.busy))
	for id := range p.busy {
		except = append(except, id)
	}
	p.mu.Unlock()
	batch, err := p.store.ClaimDeliveries(ctx, store.DeliveryClaim{
		Owner: p.cfg.Owner, Except: except, Now: p.clock(),
		Lease: p.cfg.Lease, Limit: p.cfg.Batch})
	if err != nil {
		return 0, fmt.Errorf("claim deliveries: %w", err)
	}
	byStream := map[string][]store.Delivery{}
	for _, d := range batch {
		byStream[d.StreamID] = append(byStream[d.StreamID], d)
	}
	for id, ds := range byStream {
		p.mu.Lock()
		p.busy[id] = true
		p.mu.Unlock()
		p.wg.Go(func() { p.work(ctx, id, ds) })
	}
	return len(batch), nil
}

// work pushes one stream's deliveries, then frees the stream.
func (p *Pusher) work(ctx context.Context, id string, ds []store.Delivery) {
	err := p.pushStream(ctx, id, ds)
	p.mu.Lock()
	delete(p.busy, id)
	if err != nil && ctx.Err() == nil {
		p.errs = append(p.errs, err)
	}
	p.mu.Unlock()
	select {
	case p.idle <- struct{}{}:
	default:
	}
}

func (p *Pusher) takeErrors() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	err := errors.Join(p.errs...)
	p.errs = nil
	return err
}

// pushStream pushes one stream's deliveries in order. After a failure
// worth retrying, the rest wait with the failed one rather than each
// waiting out the same broken receiver; deliveries whose lease would end
// during their push are put back. Only a failure to record an outcome is
// returned.
func (p *Pusher) pushStream(ctx context.Context, streamID string,
	ds []store.Delivery) error {
	st, err := p.store.GetStream(ctx, streamID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // deleted with its deliveries
	}
	if err != nil {
		return err
	}
	for i, d := range ds {
		if d.LeaseUntil.Sub(p.clock()) < p.perPush() {
			return p.putBack(ctx, ds[i:], "", p.clock())
		}
		retryAt, err := p.push(ctx, st, d)
		if err != nil || ctx.Err() != nil {
			return err
		}
		if !retryAt.IsZero() {
			return p.putBack(ctx, ds[i+1:],
				"not tried: an earlier push to the stream failed", retryAt)
		}
	}
	return nil
}

// perPush is the longest one push may take, retries within it included;
// at most half the lease, so that a lease always leaves room for one.
func (p *Pusher) perPush() time.Duration {
	return min(time.Duration(p.cfg.Retries+1)*(p.cfg.Timeout+2*time.Second),
		p.cfg.Lease/2)
}

// putBack returns claimed deliveries to the queue, runnable at notBefore.
func (p *Pusher) putBack(ctx context.Context, ds []store.Delivery,
	why string, notBefore time.Time) error {
	for _, d := range ds {
		msg := why
		if msg == "" {
			msg = d.LastError
		}
		if err := p.store.RetryDelivery(ctx, d.StreamID, d.ID, msg, notBefore); err != nil {
			return err
		}
	}
	return nil
}

// push sends one delivery and records how it went. retryAt is when it
// will be tried again after a failure worth retrying, else zero.
func (p *Pusher) push(ctx context.Context, st store.Stream,
	d store.Delivery) (retryAt time.Time, err error) {
	log := p.log.With("stream_id", st.ID, "delivery_id", d.ID,
		"event_type", d.EventType)
	start := time.Now()
	sendErr := p.send(ctx, st, d)
	p.tx.metrics.pushed(st.Method, time.Since(start))
	if ctx.Err() != nil {
		return time.Time{}, nil // the lease lapses; the delivery is taken up again
	}
	if sendErr == nil {
		log.Debug("delivered", "attempts", d.Attempts)
		p.tx.metrics.outcome(st.Method, "delivered", 1)
		_, err := p.store.FinishDeliveries(ctx, st.ID, []string{d.ID},
			store.DeliveryDone, "", p.clock())
		return time.Time{}, err
	}
	var refused *refusedError
	if errors.As(sendErr, &refused) || p.clock().Sub(d.CreatedAt) >= p.cfg.RetryFor {
		log.Error("delivery failed", "attempts", d.Attempts, "err", sendErr)
		p.tx.metrics.outcome(st.Method, "failed", 1)
		_, err := p.store.FinishDeliveries(ctx, st.ID, []string{d.ID},
			store.DeliveryFailed, sendErr.Error(), p.clock())
		return time.Time{}, err
	}
	p.tx.metrics.outcome(st.Method, "retried", 1)
	wait := p.backoff(d.Attempts)
	var slow *throttledError
	if errors.As(sendErr, &slow) {
		wait = max(wait, min(slow.after, p.cfg.MaxBackoff))
	}
	if d.LastError != sendErr.Error() {
		log.Warn("delivery will be retried", "attempts", d.Attempts,
			"retry_in", wait, "err", sendErr)
	}
	retryAt = p.clock().Add(wait)
	return retryAt, p.store.RetryDelivery(ctx, st.ID, d.ID, sendErr.Error(), retryAt)
}

func (p *Pusher) backoff(attempts int) time.Duration {
	d := p.cfg.Backoff
	for i := 1; i < attempts && d < p.cfg.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, p.cfg.MaxBackoff)
}

// Prune fails the deliveries nobody took within RetryFor of being
// queued (a paused stream's, an unpolled one's: their SETs must not
// outlive the key that signed them), deletes deliveries finished longer
// ago than Keep and signing keys past their grace. Run calls it once per
// PruneEvery.
func (p *Pusher) Prune(ctx context.Context) (deliveries, keys int, err error) {
	now := p.clock()
	expired, err := p.store.ExpireDeliveries(ctx, now.Add(-p.cfg.RetryFor),
		fmt.Sprintf("not delivered within %s of being queued: the stream "+
			"was paused or not polled", p.cfg.RetryFor), now)
	if err != nil {
		return 0, 0, fmt.Errorf("expire deliveries: %w", err)
	}
	if expired > 0 {
		p.log.Warn("deliveries expired undelivered", "deliveries", expired)
	}
	deliveries, err = p.store.PruneDeliveries(ctx, now.Add(-p.cfg.Keep))
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
