package sweeps

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// Elector is a registry that several instances share and that chooses
// one of them to lead: store/postgres, by a session advisory lock. The
// instance that leads runs the scheduled sweeps; the others follow.
type Elector interface {
	// ElectLeader campaigns until ctx is done, trying again every retry
	// (positive) while another instance leads or the registry cannot be
	// reached. It calls report after each attempt and the moment it
	// loses the lead: whether this instance leads now, and why it could
	// not ask (nil when it could). It lets the lead go when ctx is done,
	// and calls report no more then.
	ElectLeader(ctx context.Context, retry time.Duration,
		report func(leading bool, err error))
}

// DefaultLeaderRetry is how often a follower tries for the lead: how
// long the scheduled sweeps may go without a leader once it is gone.
const DefaultLeaderRetry = 15 * time.Second

// Leadership says whether this instance leads, and so runs the
// scheduled sweeps. On a registry that is no Elector (SQLite, on one
// machine) the instance is its own leader.
type Leadership struct {
	elector Elector
	retry   time.Duration
	log     *slog.Logger
	metrics *Metrics
	leading atomic.Bool
	// adrift is set while the last attempt could not reach the registry
	// to ask, and this instance did not lead: it cannot tell whether
	// another instance leads.
	adrift atomic.Bool

	mu   sync.Mutex // guards what was last said
	said bool
	was  bool
	why  string
}

// NewLeadership is the leadership of this instance on st, campaigning
// every retry (DefaultLeaderRetry when 0) once Run runs; m (nil: none)
// shows it in killswitch_sweep_leader.
func NewLeadership(st store.Store, retry time.Duration, log *slog.Logger,
	m *Metrics) *Leadership {
	if retry <= 0 {
		retry = DefaultLeaderRetry
	}
	l := &Leadership{retry: retry, metrics: m,
		log: log.With("component", "sweeps")}
	l.elector, _ = st.(Elector)
	if l.elector == nil {
		l.leading.Store(true)
	}
	m.leader(l.elector == nil)
	return l
}

// Run campaigns until ctx is done, then lets the lead go; on a registry
// that is no Elector it returns at once. Until its first attempt the
// instance follows.
func (l *Leadership) Run(ctx context.Context) {
	if l.elector == nil {
		return
	}
	l.elector.ElectLeader(ctx, l.retry, l.report)
	l.leading.Store(false)
	l.adrift.Store(false)
	l.metrics.leader(false)
}

// Leading reports whether this instance leads now; a nil *Leadership
// always leads.
func (l *Leadership) Leading() bool {
	return l == nil || l.leading.Load()
}

// Unreachable reports whether this instance neither leads nor could
// reach the registry at its last attempt to ask whether another does:
// then maybe no instance runs the scheduled sweeps. A nil *Leadership
// never is.
func (l *Leadership) Unreachable() bool {
	return l != nil && l.adrift.Load()
}

// report takes an attempt's answer and logs it when it differs from the
// last: a follower says once that it follows, not at every attempt.
func (l *Leadership) report(leading bool, err error) {
	l.leading.Store(leading)
	l.adrift.Store(!leading && err != nil)
	l.metrics.leader(leading)
	why := ""
	if err != nil {
		why = err.Error()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.said && leading == l.was && why == l.why {
		return
	}
	lost := l.said && l.was && !leading
	l.said, l.was, l.why = true, leading, why
	switch {
	case leading:
		l.log.Info("this instance leads: it runs the scheduled sweeps")
	case err != nil && lost:
		l.log.Warn("lost the lead: this instance runs no scheduled "+
			"sweep until it leads again", "err", err, "retry", l.retry)
	case err != nil:
		l.log.Warn("cannot campaign for the lead; trying again",
			"err", err, "retry", l.retry)
	default:
		l.log.Info("another instance leads: this one follows and runs "+
			"no scheduled sweep", "retry", l.retry)
	}
}
