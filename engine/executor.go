package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/store"
)

// ExecutorConfig tunes how the outbox is worked.
type ExecutorConfig struct {
	// Owner names this executor in leases; default "executor".
	Owner string
	// Lease is how long a claimed action is ours before another executor
	// may take it over (after a crash). Work on the action, connector
	// calls included, is cut off after four fifths of it. Default 30s.
	Lease time.Duration
	// Poll is how often the outbox is checked when nothing wakes the
	// executor. Default 500ms.
	Poll time.Duration
	// Batch is how many actions are claimed at once. Default 16.
	Batch int
	// RetryFor is how long after it was planned an action is tried again
	// while it fails in a way worth retrying (a provider down or
	// throttling); after that it fails for good. Default 24h: an outage
	// of the provider must not turn a revocation into a failure.
	RetryFor time.Duration
	// MaxAttempts, when positive, also fails an action after that many
	// tries. Default 0: only RetryFor bounds them.
	MaxAttempts int
	// Backoff is the wait before the second try; it doubles each try up
	// to a minute. Default 1s.
	Backoff time.Duration
	// ShutdownGrace is how long, once asked to stop, the action being
	// executed may take to finish. Past it the action is cut off and
	// handed back to the outbox, as are the claimed actions not started.
	// Default 30s.
	ShutdownGrace time.Duration
	// Budgets, when set, returns the blast-radius budgets in force: an
	// action whose approval times out to execute runs on its own, so it
	// must fit in them (ExpireApprovals). NewService sets it to the
	// guardrails' budgets and those of the policy set in force.
	Budgets func() []store.Budget
}

func (c ExecutorConfig) withDefaults() ExecutorConfig {
	if c.Owner == "" {
		c.Owner = "executor"
	}
	if c.Lease <= 0 {
		c.Lease = 30 * time.Second
	}
	if c.Poll <= 0 {
		c.Poll = 500 * time.Millisecond
	}
	if c.Batch <= 0 {
		c.Batch = 16
	}
	if c.RetryFor <= 0 {
		c.RetryFor = 24 * time.Hour
	}
	if c.Backoff <= 0 {
		c.Backoff = time.Second
	}
	if c.ShutdownGrace <= 0 {
		c.ShutdownGrace = 30 * time.Second
	}
	return c
}

// Executor works the outbox: it claims runnable actions, carries them out
// at the connectors and in the registry, publishes the revocations, and
// records the outcome. Several executors may share one store.
type Executor struct {
	store store.Store
	conns connectors.Set
	pub   Publisher
	clock Clock
	log   *slog.Logger
	cfg   ExecutorConfig
	wake  chan struct{}
	// metrics is set by NewService; nil records nothing.
	metrics *Metrics
	// abandoned counts actions the end of the shutdown grace cut off.
	abandoned atomic.Int64
	// operators tracks the operators' revocations being executed.
	operators inflight
}

// inflight tracks the operators' revocations an executor carries out
// outside its loop (Revoke), so that Run bounds them by its shutdown
// grace and waits for them before it returns.
type inflight struct {
	mu sync.Mutex
	// hard ends when Run's shutdown grace runs out; nil when Run is not
	// running (the CLI), where the caller's context alone bounds them.
	hard context.Context
	wg   sync.WaitGroup
}

// track bounds ctx by Run's shutdown grace, when Run is running, and
// counts the work until done is called.
func (f *inflight) track(ctx context.Context) (context.Context, func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hard == nil {
		return ctx, func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(f.hard, cancel)
	f.wg.Add(1)
	return ctx, func() {
		stop()
		cancel()
		f.wg.Done()
	}
}

// start makes hard the bound of the work tracked from now on.
func (f *inflight) start(hard context.Context) {
	f.mu.Lock()
	f.hard = hard
	f.mu.Unlock()
}

// wait stops tracking and waits for the work tracked so far, which hard
// ends at the latest.
func (f *inflight) wait() {
	f.mu.Lock()
	f.hard = nil
	f.mu.Unlock()
	f.wg.Wait()
}

// NewExecutor builds an executor. conns may be empty: revocations then
// take effect in the registry only. pub may be nil.
func NewExecutor(st store.Store, conns connectors.Set, pub Publisher,
	cfg ExecutorConfig, clock Clock, log *slog.Logger) *Executor {
	if pub == nil {
		pub = discardPublisher{}
	}
	return &Executor{store: st, conns: conns, pub: pub, clock: clock,
		cfg: cfg.withDefaults(), wake: make(chan struct{}, 1),
		log: log.With("component", "executor")}
}

// Connected reports whether a connector revokes at provider; without
// one, a revocation there takes effect in the registry only.
func (x *Executor) Connected(provider string) bool {
	return x.conns.For(provider) != nil
}

// Wake asks the executor to look at the outbox now.
func (x *Executor) Wake() {
	select {
	case x.wake <- struct{}{}:
	default:
	}
}

// approvalCheck is how often Run looks for approvals whose deadline
// passed: deadlines are hours, and the look is a write.
const approvalCheck = 5 * time.Second

// Run works the outbox until ctx is done, and expires the approvals whose
// deadline passed. Once ctx is done, the action being executed, and the
// operators' revocations (Revoke) in progress, have ShutdownGrace to
// finish; the claimed actions not started are handed back to the outbox
// at once. Run returns once they are done or handed back, with an
// *AbandonedError when the grace ran out first.
func (x *Executor) Run(ctx context.Context) error {
	hard, cancel := afterGrace(ctx, x.cfg.ShutdownGrace)
	defer cancel()
	x.operators.start(hard)
	defer x.operators.wait()
	t := time.NewTicker(x.cfg.Poll)
	defer t.Stop()
	var nextExpiry time.Time
	for ctx.Err() == nil {
		if now := x.clock(); !now.Before(nextExpiry) {
			nextExpiry = now.Add(approvalCheck)
			if _, err := x.ExpireApprovals(ctx); err != nil && ctx.Err() == nil {
				x.log.Warn("expire approvals", "err", err)
			}
		}
		n, err := x.runBatch(ctx, hard)
		if ctx.Err() != nil {
			break
		}
		if err != nil {
			x.log.Warn("work outbox", "err", err)
		}
		if n == x.cfg.Batch {
			continue
		}
		select {
		case <-ctx.Done():
		case <-x.wake:
		case <-t.C:
		}
	}
	if n := x.abandoned.Load(); n > 0 {
		return &AbandonedError{Actions: int(n), Grace: x.cfg.ShutdownGrace}
	}
	return nil
}

// RunOnce claims one batch of runnable actions and executes them. It
// returns how many it claimed.
func (x *Executor) RunOnce(ctx context.Context) (int, error) {
	return x.runBatch(ctx, ctx)
}

// runBatch claims a batch and executes its actions in turn until stop
// ends; hard bounds the action in progress.
func (x *Executor) runBatch(stop, hard context.Context) (int, error) {
	batch, err := x.store.ClaimActions(stop, x.cfg.Owner, x.clock(),
		x.cfg.Lease, x.cfg.Batch)
	if err != nil {
		return 0, fmt.Errorf("claim actions: %w", err)
	}
	for i, a := range batch {
		if stop.Err() != nil {
			x.handBack(batch[i:])
			break
		}
		if err := x.execute(hard, a); err != nil {
			return len(batch), err
		}
	}
	return len(batch), nil
}

// handBack returns claimed actions to the outbox, runnable now, rather
// than leave them to wait out their lease. It runs during shutdown, so it
// has its own short deadline; failing, the leases lapse as after a crash.
func (x *Executor) handBack(actions []store.Action) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, a := range actions {
		if err := x.store.RetryAction(ctx, a.ID, a.LastError, x.clock()); err != nil {
			x.log.Warn("hand back action; its lease will lapse",
				"action_id", a.ID, "err", err)
			return
		}
		x.log.Debug("action handed back to the outbox", "action_id", a.ID)
	}
}

// execute runs one action and records how it went. Only a failure to
// record is returned; the action's own failure is stored with it. When
// ctx ends first (the shutdown grace ran out), the action is handed back.
func (x *Executor) execute(ctx context.Context, a store.Action) error {
	log := x.log.With("action_id", a.ID, "kind", a.Kind,
		"target", a.TargetType+":"+a.TargetID)
	actx, cancel, ok := x.withinLease(ctx, a)
	if !ok {
		log.Debug("lease ended before the action started; it is taken up again")
		return nil
	}
	done, err := x.applySafely(actx, a, log)
	cancel()
	if ctx.Err() != nil {
		x.abandoned.Add(1)
		x.handBack([]store.Action{a})
		return nil
	}
	if err == nil {
		log.Debug("action done")
		return x.finish(ctx, a, store.ActionDone, done, "")
	}
	var perm *permanentError
	if errors.As(err, &perm) || x.exhausted(a) {
		log.Error("action failed", "attempts", a.Attempts, "err", err)
		return x.finish(ctx, a, store.ActionFailed, done, err.Error())
	}
	wait := x.backoff(a.Attempts)
	if a.LastError != err.Error() {
		log.Warn("action will be retried", "attempts", a.Attempts,
			"retry_in", wait, "err", err)
	}
	err = x.store.RetryAction(ctx, a.ID, err.Error(), x.clock().Add(wait))
	if err == nil {
		x.metrics.retried(a.Kind)
	}
	return err
}

// applySafely is apply, with a panic (in a connector, say) failing the
// action for good: left to crash the process, it would crash it again
// each time the action is taken up after a restart.
func (x *Executor) applySafely(ctx context.Context, a store.Action,
	log *slog.Logger) (done executed, err error) {
	defer func() {
		if v := recover(); v != nil {
			log.Error("action panicked", "panic", v,
				"stack", string(debug.Stack()))
			done, err = executed{}, permanent("panic: %v", v)
		}
	}()
	return x.apply(ctx, a)
}

// withinLease bounds the work on a claimed action by its lease, less a
// fifth of it to record the outcome, so that no other executor takes the
// action over while this one still works on it. A batch is worked in
// turn: when earlier actions used up an action's lease, ok is false and
// the action is left for the lease to lapse.
func (x *Executor) withinLease(ctx context.Context,
	a store.Action) (context.Context, context.CancelFunc, bool) {
	left := a.LeaseUntil.Sub(x.clock()) - x.cfg.Lease/5
	if left <= 0 {
		return nil, nil, false
	}
	actx, cancel := context.WithTimeout(ctx, left)
	return actx, cancel, true
}

// exhausted reports whether an action has had all the tries it gets.
func (x *Executor) exhausted(a store.Action) bool {
	if x.cfg.MaxAttempts > 0 && a.Attempts >= x.cfg.MaxAttempts {
		return true
	}
	return x.clock().Sub(runnableSince(a)) >= x.cfg.RetryFor
}

// runnableSince is when an action could first run: when it was planned,
// or, for one held for approval, when the verdict let it run, so that a
// late approval still gets the whole retry window.
func runnableSince(a store.Action) time.Time {
	if v := a.Verdict; v != nil && v.At.After(a.CreatedAt) {
		return v.At
	}
	return a.CreatedAt
}

func (x *Executor) backoff(attempts int) time.Duration {
	d := x.cfg.Backoff
	for i := 1; i < attempts && d < time.Minute; i++ {
		d *= 2
	}
	return min(d, time.Minute)
}

func (x *Executor) finish(ctx context.Context, a store.Action, state string,
	done executed, lastErr string) error {
	audit := done.audit
	event := EventActionDone
	if state == store.ActionFailed {
		event = EventActionFailed
	}
	audit = append(audit, store.AuditEntry{Time: x.clock(), Actor: actor(a),
		Event: event, Subject: a.ID, Details: mustJSON(map[string]any{
			"kind": a.Kind, "target": a.TargetType + ":" + a.TargetID,
			"signal_id": a.SignalID, "attempts": a.Attempts,
			"error": lastErr, "result": done.result})})
	err := x.store.FinishAction(ctx, a.ID, state, mustJSON(done.result),
		lastErr, audit)
	if err != nil {
		return fmt.Errorf("finish action %s: %w", a.ID, err)
	}
	x.metrics.finished(a.Kind, state)
	return nil
}

// actor is the audit actor of an action: the policy rule that asked for
// it, or the operator.
func actor(a store.Action) string {
	switch {
	case a.Policy == "":
		return "policy"
	case strings.HasPrefix(a.Policy, "operator:"):
		return a.Policy
	}
	return "policy:" + a.Policy
}

// permanentError marks a failure that retrying cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }

func (e *permanentError) Unwrap() error { return e.err }

func permanent(format string, args ...any) error {
	return &permanentError{err: fmt.Errorf(format, args...)}
}
