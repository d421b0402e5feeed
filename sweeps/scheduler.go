package sweeps

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// Job is one scheduled job.
type Job struct {
	// Name names the job in logs and stats; unique in a scheduler.
	Name     string
	Schedule Schedule
	// Jitter, when positive, delays each firing by a random time below
	// it, so that instances sharing a store do not all wake at once. The
	// firing keeps its scheduled time.
	Jitter time.Duration
	// Timeout, when positive, bounds each run (a context deadline).
	Timeout time.Duration
	// Run does the work for the firing scheduled at scheduledAt. A
	// panic is recovered by the scheduler.
	Run func(ctx context.Context, scheduledAt time.Time) error
}

// JobStats counts what happened to a job's firings.
type JobStats struct {
	// Started counts the runs begun; Failed those that returned an
	// error; Panicked those that panicked; Elsewhere those another
	// instance ran (ErrBusy, ErrAlreadyRan).
	Started, Failed, Panicked, Elsewhere int64
	// Overlapped counts the firings skipped because the job's previous
	// run was still going.
	Overlapped int64
	// Followed counts the firings skipped because another instance
	// leads.
	Followed int64
}

// Scheduler fires jobs on their schedules. Each job has its own loop and
// its own "still running" guard: a firing while the job's previous run
// goes on is skipped (and counted), never queued, and a slow job never
// delays another. A run that panics is recovered, logged with its stack
// and counted, and its guard released, so the next firing runs.
//
// Of several instances sharing a PostgreSQL registry only the leader
// fires its jobs (Leadership); the others skip every firing. A run
// asked for by hand (Runner.Run) is no firing, and runs on any instance.
type Scheduler struct {
	clock   Clock
	log     *slog.Logger
	metrics *Metrics
	lead    *Leadership
	jobs    []*job
	wg      sync.WaitGroup
	jitter  func(max time.Duration) time.Duration
}

type job struct {
	Job
	running                               atomic.Bool
	started, failed, panicked, overlapped atomic.Int64
	elsewhere, followed                   atomic.Int64
}

// NewScheduler builds a scheduler of jobs that fires them while lead
// leads (nil: always), counting their runs in m (nil counts nothing);
// job names must be unique.
func NewScheduler(clock Clock, log *slog.Logger, m *Metrics,
	lead *Leadership, jobs ...Job) (*Scheduler, error) {
	s := &Scheduler{clock: clock, log: log.With("component", "sweeps"),
		metrics: m, lead: lead, jitter: randomJitter}
	seen := map[string]bool{}
	for _, j := range jobs {
		if seen[j.Name] {
			return nil, fmt.Errorf("scheduler: two jobs named %q", j.Name)
		}
		seen[j.Name] = true
		s.jobs = append(s.jobs, &job{Job: j})
		m.start(j.Name)
	}
	return s, nil
}

func randomJitter(max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	return rand.N(max)
}

// Run fires the jobs until ctx is done, then waits for the runs in
// progress, which see ctx done, to return.
func (s *Scheduler) Run(ctx context.Context) {
	var loops sync.WaitGroup
	for _, j := range s.jobs {
		loops.Add(1)
		go func() {
			defer loops.Done()
			s.loop(ctx, j)
		}()
	}
	loops.Wait()
	s.wg.Wait()
}

// loop waits for each of the job's firings in turn and fires it.
func (s *Scheduler) loop(ctx context.Context, j *job) {
	after := s.clock.Now()
	for {
		next := j.Schedule.Next(after)
		if next.IsZero() {
			s.log.Warn("schedule names no future time", "sweep", j.Name,
				"schedule", j.Schedule.String())
			return
		}
		wait := next.Sub(s.clock.Now()) + s.jitter(j.Jitter)
		select {
		case <-ctx.Done():
			return
		case <-s.clock.After(wait):
		}
		s.fire(ctx, j, next)
		after = s.skipMissed(j, next)
	}
}

// skipMissed returns the time after which to look for j's next firing,
// once it fired for scheduledAt: scheduledAt itself, unless the clock
// has gone past later firings too (the machine was suspended, or the
// process stalled), in which case those are skipped, not fired back to
// back, and said so: the late run just started covers them.
func (s *Scheduler) skipMissed(j *job, scheduledAt time.Time) time.Time {
	now := s.clock.Now()
	missed, after := 0, scheduledAt
	for {
		next := j.Schedule.Next(after)
		if next.IsZero() || next.After(now) {
			break
		}
		missed++
		after = next
	}
	if missed > 0 {
		s.log.Warn("sweep firings missed while the clock jumped ahead; "+
			"skipped, the late run covers them", "sweep", j.Name,
			"scheduled_at", scheduledAt, "now", now, "skipped", missed)
	}
	return after
}

// fire starts a run of j for scheduledAt unless another instance leads
// or a run of j is going on. Leading is read once, here: a leader that
// loses the lead while its run goes on is not stopped, and the sweep's
// lease keeps the new leader from running the sweep beside it (see
// Runner.Run).
func (s *Scheduler) fire(ctx context.Context, j *job, scheduledAt time.Time) {
	if !s.lead.Leading() {
		j.followed.Add(1)
		s.log.Debug("sweep firing left to the leader", "sweep", j.Name,
			"scheduled_at", scheduledAt)
		return
	}
	if !j.running.CompareAndSwap(false, true) {
		j.overlapped.Add(1)
		s.metrics.overlapped(j.Name)
		s.log.Warn("sweep still running; this firing is skipped",
			"sweep", j.Name, "scheduled_at", scheduledAt)
		return
	}
	j.started.Add(1)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer j.running.Store(false)
		defer s.recoverRun(j, scheduledAt)
		s.run(ctx, j, scheduledAt)
	}()
}

func (s *Scheduler) run(ctx context.Context, j *job, scheduledAt time.Time) {
	if j.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, j.Timeout)
		defer cancel()
	}
	err := j.Run(ctx, scheduledAt)
	switch {
	case err == nil:
		s.metrics.ran(j.Name, OutcomeSucceeded)
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		s.metrics.ran(j.Name, OutcomeInterrupted)
		s.log.Warn("sweep interrupted by shutdown", "sweep", j.Name,
			"scheduled_at", scheduledAt, "err", err)
	case errors.Is(err, ErrBusy) || errors.Is(err, ErrAlreadyRan):
		j.elsewhere.Add(1)
		s.metrics.ran(j.Name, OutcomeElsewhere)
		s.log.Info("sweep left to another instance", "sweep", j.Name,
			"scheduled_at", scheduledAt, "why", err)
	default:
		j.failed.Add(1)
		s.metrics.ran(j.Name, OutcomeFailed)
		s.log.Error("sweep failed", "sweep", j.Name,
			"scheduled_at", scheduledAt, "err", err)
	}
}

// recoverRun turns a run's panic into a log line with the value and the
// stack, and a count.
func (s *Scheduler) recoverRun(j *job, scheduledAt time.Time) {
	if v := recover(); v != nil {
		j.panicked.Add(1)
		s.metrics.ran(j.Name, OutcomePanicked)
		s.log.Error("sweep panicked", "sweep", j.Name,
			"scheduled_at", scheduledAt, "panic", fmt.Sprint(v),
			"stack", string(debug.Stack()))
	}
}

// Stats returns the counts of the job named name.
func (s *Scheduler) Stats(name string) (JobStats, bool) {
	for _, j := range s.jobs {
		if j.Name == name {
			return JobStats{Started: j.started.Load(), Failed: j.failed.Load(),
				Panicked: j.panicked.Load(), Elsewhere: j.elsewhere.Load(),
				Overlapped: j.overlapped.Load(),
				Followed:   j.followed.Load()}, true
		}
	}
	return JobStats{}, false
}
