package rules

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/killswitch-dev/killswitch/store"
)

// The audit events a Reloader writes.
const (
	EventPolicyReloaded     = "policy.reloaded"
	EventPolicyReloadFailed = "policy.reload_failed"
)

// AuditAppender is where a Reloader records reloads; every store.Store
// is one.
type AuditAppender interface {
	AppendAudit(ctx context.Context, entries ...store.AuditEntry) error
}

// ReloaderConfig configures a Reloader.
type ReloaderConfig struct {
	// Path is the policy directory or bundle (.tar.gz) to load. Required.
	Path string
	// Log receives a line per reload: Info when a new revision is in
	// force, Error (with the file and line) when a new set is broken.
	// Default: discard.
	Log *slog.Logger
	// Audit, when set, gets a policy.reloaded or policy.reload_failed
	// entry per reload that changes or fails.
	Audit AuditAppender
	// Registerer, when set, gets the reload metrics:
	// killswitch_policy_reloads_total{result="success"|"failure"} and
	// killswitch_policy_reload_healthy (1 when the last reload worked).
	Registerer prometheus.Registerer
	// Debounce is how long Watch waits after the last change before it
	// reloads, so that an editor's or a deploy's burst of writes is one
	// reload. Default 300ms.
	Debounce time.Duration
	// Options are passed to Load.
	Options []Option
	// Clock stamps audit entries. Default time.Now.
	Clock func() time.Time
}

// Reloader is an Evaluator (Evaluate, Revision) over a policy set that it
// reloads from its path on demand (Reload, e.g. on SIGHUP) and on change
// (Watch). A new set is compiled fully before it is swapped in; a broken
// one leaves the set in force, so evaluation never sees a half-loaded or
// broken set. It is safe for concurrent use.
type Reloader struct {
	cfg     ReloaderConfig
	current atomic.Pointer[PolicySet]
	mu      sync.Mutex // one reload at a time
	reloads *prometheus.CounterVec
	healthy prometheus.Gauge
	// lastErr is the error of the last reload when it failed.
	lastErr atomic.Pointer[error]
}

// NewReloader loads the set at cfg.Path; a set that does not load is an
// error, since there is nothing to keep in force.
func NewReloader(ctx context.Context, cfg ReloaderConfig) (*Reloader, error) {
	if cfg.Path == "" {
		return nil, errors.New("policy reloader: path: required")
	}
	r := &Reloader{cfg: withReloadDefaults(cfg)}
	ps, err := LoadPath(ctx, cfg.Path, cfg.Options...)
	if err != nil {
		return nil, err
	}
	r.current.Store(ps)
	if err := r.registerMetrics(); err != nil {
		return nil, err
	}
	r.healthy.Set(1)
	return r, nil
}

func withReloadDefaults(cfg ReloaderConfig) ReloaderConfig {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Debounce <= 0 {
		cfg.Debounce = 300 * time.Millisecond
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	cfg.Log = cfg.Log.With("component", "policy")
	return cfg
}

func (r *Reloader) registerMetrics() error {
	r.reloads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "killswitch_policy_reloads_total",
		Help: "Policy reloads by result (success, failure).",
	}, []string{"result"})
	r.healthy = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "killswitch_policy_reload_healthy",
		Help: "1 when the last policy reload worked, 0 when a broken set was refused.",
	})
	if r.cfg.Registerer == nil {
		return nil
	}
	for _, c := range []prometheus.Collector{r.reloads, r.healthy} {
		if err := r.cfg.Registerer.Register(c); err != nil {
			return fmt.Errorf("policy reloader: register metrics: %w", err)
		}
	}
	return nil
}

// Evaluate evaluates with the set in force.
func (r *Reloader) Evaluate(ctx context.Context, in Input) (Decision, error) {
	return r.current.Load().Evaluate(ctx, in)
}

// Revision is the revision of the set in force.
func (r *Reloader) Revision() string { return r.current.Load().Revision() }

// EvaluateSweep evaluates SweepQuery with the set in force.
func (r *Reloader) EvaluateSweep(ctx context.Context, in Input) (Decision, error) {
	return r.current.Load().EvaluateSweep(ctx, in)
}

// ReloadErr is the error of the last reload when it failed, so that the
// set on disk is not the one in force; nil once a reload works.
func (r *Reloader) ReloadErr() error {
	if err := r.lastErr.Load(); err != nil {
		return *err
	}
	return nil
}

// Current is the set in force.
func (r *Reloader) Current() *PolicySet { return r.current.Load() }

// Guard is the guard data of the policy set in force.
func (r *Reloader) Guard() GuardData { return r.Current().Guard() }

// Reload loads the set at the path again and swaps it in when it loads
// and differs. A broken set leaves the one in force: the error (a
// *PolicyError naming the file and line) is logged, counted, audited and
// returned. A cancelled ctx returns its error and changes nothing.
func (r *Reloader) Reload(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.current.Load()
	ps, err := LoadPath(ctx, r.cfg.Path, r.cfg.Options...)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		r.failed(ctx, old, err)
		return err
	}
	r.reloads.WithLabelValues("success").Inc()
	r.healthy.Set(1)
	r.lastErr.Store(nil)
	if ps.Revision() == old.Revision() {
		r.cfg.Log.Debug("policies unchanged", "revision", old.Revision())
		return nil
	}
	r.current.Store(ps)
	r.cfg.Log.Info("policies reloaded", "path", r.cfg.Path,
		"revision", ps.Revision(), "previous_revision", old.Revision())
	r.audit(ctx, EventPolicyReloaded, map[string]any{
		"revision": ps.Revision(), "previous_revision": old.Revision(),
		"files": ps.Files()})
	return nil
}

func (r *Reloader) failed(ctx context.Context, old *PolicySet, err error) {
	r.reloads.WithLabelValues("failure").Inc()
	r.healthy.Set(0)
	r.lastErr.Store(&err)
	details := map[string]any{"error": err.Error(),
		"revision_in_force": old.Revision()}
	attrs := []any{"path", r.cfg.Path, "revision_in_force", old.Revision(),
		"err", err}
	var pe *PolicyError
	if errors.As(err, &pe) {
		details["file"], details["line"] = pe.File, pe.Row
		attrs = append(attrs, "file", pe.File, "line", pe.Row)
	}
	r.cfg.Log.Error("policy reload failed; the policies in force stay", attrs...)
	r.audit(ctx, EventPolicyReloadFailed, details)
}

func (r *Reloader) audit(ctx context.Context, event string, details map[string]any) {
	if r.cfg.Audit == nil {
		return
	}
	b, err := json.Marshal(details)
	if err == nil {
		err = r.cfg.Audit.AppendAudit(ctx, store.AuditEntry{
			Time: r.cfg.Clock().UTC(), Actor: "killswitch", Event: event,
			Subject: "policies:" + r.cfg.Path, Details: b})
	}
	if err != nil {
		r.cfg.Log.Warn("audit policy reload", "event", event, "err", err)
	}
}
