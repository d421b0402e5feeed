package sweeps

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// ErrBusy: another instance holds the sweep's lease and is running it.
var ErrBusy = errors.New("sweep is running on another instance")

// ErrAlreadyRan: the sweep already has a run for that scheduled time.
var ErrAlreadyRan = errors.New("sweep already ran for that scheduled time")

// EventSweepFinished is the audit event of a finished sweep run.
const EventSweepFinished = "sweep.finished"

// DefaultLease is how long a run holds its sweep's lease when its job
// has no timeout; such a run is cut off a minute before it lapses.
const DefaultLease = time.Hour

// DefaultRevocationLogKeep is how long the revocation log is kept unless
// configured.
const DefaultRevocationLogKeep = 30 * 24 * time.Hour

// MinRevocationLogKeep is the shortest retention the config takes.
const MinRevocationLogKeep = time.Hour

// Runner runs sweeps under their lease and records each run.
type Runner struct {
	deps  Deps
	owner string
}

// NewRunner builds a runner; owner names this instance in leases and
// runs (a host name and process id).
func NewRunner(d Deps, owner string) *Runner {
	if d.LockWarning <= 0 {
		d.LockWarning = 24 * time.Hour
	}
	if d.RevocationLogKeep <= 0 {
		d.RevocationLogKeep = DefaultRevocationLogKeep
	}
	d.Log = d.Log.With("component", "sweeps")
	return &Runner{deps: d, owner: owner}
}

// Run runs the sweep name for the time scheduledAt, holding the sweep's
// lease for at most lease (DefaultLease when 0); the run is cut off (its
// context done) shortly before the lease lapses. It returns the report,
// or ErrBusy while another instance runs the sweep, or ErrAlreadyRan
// when some instance ran it for scheduledAt already. A failed sweep
// returns its report and the error. A panic is recorded as the run's
// failure and goes on up, to the scheduler that recovers it.
func (r *Runner) Run(ctx context.Context, name string, scheduledAt time.Time,
	lease time.Duration) (*Report, error) {
	sw, ok := Lookup(name)
	if !ok {
		return nil, fmt.Errorf("sweep %q: no such sweep (the sweeps: %v)",
			name, Names())
	}
	if lease <= 0 {
		lease = DefaultLease
	}
	st := r.deps.Store
	now := r.deps.Clock.Now()
	// The lease guards the run whoever asked for it: a run by hand,
	// which no leadership holds back, and a leader's that outlives its
	// lead. A leader whose connection to PostgreSQL was ended (a
	// failover, pg_terminate_backend) or died silently may not know it
	// yet, or may have learnt it with a run going on; meanwhile another
	// instance may take the lead and fire the same sweep. Its run finds
	// the lease, held in the registry's tables through the pool, not on
	// the lost connection, and is ErrBusy; and the old run is cut off
	// before its lease lapses (below), so the lease never lapses under a
	// run that goes on.
	got, err := st.AcquireSweepLease(ctx, name, r.owner, now, lease)
	if err != nil {
		return nil, fmt.Errorf("sweep %s: %w", name, err)
	}
	if !got {
		return nil, fmt.Errorf("sweep %s: %w", name, ErrBusy)
	}
	defer r.release(ctx, name, now.Add(lease))
	// A run never outlives its lease: it is cut off a margin before the
	// lease lapses, so that no other instance takes the sweep up while
	// this one still runs it.
	ctx, cancel := context.WithTimeout(ctx, lease-leaseMargin(lease))
	defer cancel()
	run := store.SweepRun{ID: newRunID(), Sweep: name, Owner: r.owner,
		ScheduledAt: scheduledAt, StartedAt: now}
	started, err := st.StartSweepRun(ctx, run)
	if err != nil {
		return nil, fmt.Errorf("sweep %s: %w", name, err)
	}
	if !started {
		return nil, fmt.Errorf("sweep %s at %s: %w", name,
			scheduledAt.Format(time.RFC3339), ErrAlreadyRan)
	}
	return r.execute(ctx, sw, run)
}

// execute runs a recorded run's sweep and records how it went.
func (r *Runner) execute(ctx context.Context, sw Sweep,
	run store.SweepRun) (rep *Report, err error) {
	rep = newReport(sw.Name, run.ID, run.ScheduledAt, run.StartedAt)
	defer func() {
		if v := recover(); v != nil {
			r.finish(ctx, run, rep, fmt.Errorf("panic: %v", v))
			panic(v)
		}
	}()
	r.deps.Log.Info("sweep started", "sweep", sw.Name, "run_id", run.ID,
		"scheduled_at", run.ScheduledAt)
	err = sw.run(ctx, &r.deps, rep)
	if err != nil {
		err = fmt.Errorf("sweep %s: %w", sw.Name, err)
	}
	if ferr := r.finish(ctx, run, rep, err); ferr != nil {
		return rep, errors.Join(err, ferr)
	}
	return rep, err
}

// finish records the run's outcome and report, and audits it, even when
// ctx was cut off by the job's timeout.
func (r *Runner) finish(ctx context.Context, run store.SweepRun,
	rep *Report, runErr error) error {
	// Cancelled, not timed out: the caller (the process shutting down)
	// gave up on the run, which is not the sweep failing.
	shutdown := errors.Is(ctx.Err(), context.Canceled)
	ctx = context.WithoutCancel(ctx)
	rep.FinishedAt = r.deps.Clock.Now()
	run.FinishedAt, run.Outcome = rep.FinishedAt, store.SweepSucceeded
	if runErr != nil {
		run.Outcome, run.Error = store.SweepFailed, runErr.Error()
		if shutdown {
			run.Outcome = store.SweepInterrupted
		}
		rep.Error = run.Error
	}
	run.Report, _ = json.Marshal(rep) // plain values: cannot fail
	if err := r.deps.Store.FinishSweepRun(ctx, run); err != nil {
		return err
	}
	details, _ := json.Marshal(map[string]any{"run_id": run.ID,
		"outcome": run.Outcome, "error": run.Error,
		"examined": rep.Examined, "found": rep.Found, "planned": rep.Planned,
		"done": rep.Done, "failed": rep.Failed})
	r.deps.Log.Info("sweep finished", "sweep", run.Sweep, "run_id", run.ID,
		"outcome", run.Outcome, "examined", rep.Examined, "found", rep.Found,
		"planned", rep.Planned, "done", rep.Done, "failed", rep.Failed)
	return r.deps.Store.AppendAudit(ctx, store.AuditEntry{
		Time: rep.FinishedAt, Actor: "sweep:" + run.Sweep,
		Event: EventSweepFinished, Subject: run.ID, Details: details})
}

// releaseRetry is the first wait, doubling up to releaseRetryMax, before
// asking the registry again to let a lease go.
const (
	releaseRetry    = time.Second
	releaseRetryMax = 30 * time.Second
)

// release lets this instance's lease on the sweep name go, asking the
// registry again while it fails (down for a moment, a failover) until
// the lease lapses at expires or ctx (the caller's: run stopping) is
// done. A lease left behind by a run that has ended holds every other
// instance off the sweep until it lapses, an hour by default: the
// instance that leads next, where a failover has moved the lead, finds
// the sweep busy and skips it.
func (r *Runner) release(ctx context.Context, name string, expires time.Time) {
	wait, log := releaseRetry, r.deps.Log
	for {
		err := r.deps.Store.ReleaseSweepLease(context.WithoutCancel(ctx),
			name, r.owner)
		if err == nil {
			return
		}
		if ctx.Err() != nil || !r.deps.Clock.Now().Add(wait).Before(expires) {
			log.Error("sweep lease not released; other instances run "+
				"the sweep once it lapses", "sweep", name, "err", err,
				"expires_at", expires)
			return
		}
		if wait == releaseRetry {
			log.Warn("sweep lease not released; trying again", "sweep",
				name, "err", err, "retry", wait)
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait = min(2*wait, releaseRetryMax)
	}
}

// leaseMargin is how long before its lease lapses a run is cut off.
func leaseMargin(lease time.Duration) time.Duration {
	return min(time.Minute, lease/10)
}

func newRunID() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on Linux
	return "swr_" + hex.EncodeToString(b)
}
