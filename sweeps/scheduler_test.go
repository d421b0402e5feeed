package sweeps

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/killswitch-dev/killswitch/connectors/connectortest"
)

var t0 = time.Date(2026, 5, 4, 9, 0, 30, 0, time.UTC)

func everyMinute(t *testing.T) Schedule {
	s, err := ParseSchedule("* * * * *", "")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// startScheduler runs s until the test ends.
func startScheduler(t *testing.T, s *Scheduler) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		s.Run(ctx)
		close(done)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

// firingLog records the scheduled times a job was run for.
type firingLog struct {
	mu    sync.Mutex
	times []time.Time
}

func (l *firingLog) add(at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.times = append(l.times, at)
}

func (l *firingLog) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.times)
}

func TestAPanickingJobIsRecoveredLoggedCountedAndRunsAgain(t *testing.T) {
	clock := newFakeClock(t0)
	log, logs := connectortest.Logger()
	var runs firingLog
	job := Job{Name: "boom", Schedule: everyMinute(t),
		Run: func(_ context.Context, at time.Time) error {
			runs.add(at)
			if runs.len() == 1 {
				panic("sweep exploded")
			}
			return nil
		}}
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewScheduler(clock, log, m, nil, job)
	if err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(m.runs); n != 5 {
		t.Fatalf("%d series of runs before the first, want one per outcome", n)
	}
	startScheduler(t, s)
	for minute := 1; minute <= 2; minute++ {
		clock.waitForWaiters(t, 1)
		clock.Set(t0.Truncate(time.Minute).Add(time.Duration(minute) * time.Minute))
		eventually(t, "the job ran", func() bool { return runs.len() == minute })
		eventually(t, "the guard is released", func() bool {
			return !s.jobs[0].running.Load()
		})
	}
	st, _ := s.Stats("boom")
	if st.Started != 2 || st.Panicked != 1 || st.Overlapped != 0 {
		t.Fatalf("stats = %+v, want 2 started, 1 panicked", st)
	}
	for outcome, want := range map[string]float64{OutcomePanicked: 1,
		OutcomeSucceeded: 1, OutcomeFailed: 0} {
		got := testutil.ToFloat64(m.runs.WithLabelValues("boom", outcome))
		if got != want {
			t.Errorf("killswitch_sweep_runs_total{sweep=boom,outcome=%s} = "+
				"%v, want %v", outcome, got, want)
		}
	}
	out := logs.String()
	if !strings.Contains(out, "sweep exploded") ||
		!strings.Contains(out, "scheduler_test.go") {
		t.Fatalf("the panic's value and stack are not in the log:\n%s", out)
	}
}

func TestASlowJobSkipsItsOwnOverlappingFiringAndNeverBlocksAnother(t *testing.T) {
	clock := newFakeClock(t0)
	log, _ := connectortest.Logger()
	release := make(chan struct{})
	var slow, quick firingLog
	jobs := []Job{
		{Name: "slow", Schedule: everyMinute(t),
			Run: func(ctx context.Context, at time.Time) error {
				slow.add(at)
				<-release
				return nil
			}},
		{Name: "quick", Schedule: everyMinute(t),
			Run: func(_ context.Context, at time.Time) error {
				quick.add(at)
				return errors.New("quick failed on purpose")
			}},
	}
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewScheduler(clock, log, m, nil, jobs...)
	if err != nil {
		t.Fatal(err)
	}
	startScheduler(t, s)
	minute := t0.Truncate(time.Minute)
	for i := 1; i <= 3; i++ {
		clock.waitForWaiters(t, 2)
		clock.Set(minute.Add(time.Duration(i) * time.Minute))
		eventually(t, "quick ran", func() bool { return quick.len() == i })
	}
	clock.waitForWaiters(t, 2)
	close(release)
	eventually(t, "slow's guard is released", func() bool {
		return !s.jobs[0].running.Load()
	})
	slowStats, _ := s.Stats("slow")
	quickStats, _ := s.Stats("quick")
	if slow.len() != 1 || slowStats.Overlapped != 2 {
		t.Fatalf("slow ran %d times with %d skipped, want 1 run and 2 skipped",
			slow.len(), slowStats.Overlapped)
	}
	if got := testutil.ToFloat64(m.overlaps.WithLabelValues("slow")); got != 2 {
		t.Fatalf("killswitch_sweep_overlaps_total{sweep=slow} = %v, want 2", got)
	}
	if quickStats.Started != 3 || quickStats.Failed != 3 {
		t.Fatalf("quick = %+v, want 3 runs, each failed", quickStats)
	}
	for i, at := range quick.times {
		if want := minute.Add(time.Duration(i+1) * time.Minute); !at.Equal(want) {
			t.Fatalf("quick run %d for %v, want %v", i, at, want)
		}
	}
}

func TestTwoJobsWithOneNameAreRefused(t *testing.T) {
	j := Job{Name: "a", Schedule: everyMinute(t)}
	_, err := NewScheduler(newFakeClock(t0), slog.Default(), nil, nil, j, j)
	if err == nil {
		t.Fatal("NewScheduler accepted two jobs named a")
	}
}

func TestAJitteredFiringWaitsItsJitterAndKeepsItsScheduledTime(t *testing.T) {
	clock := newFakeClock(t0)
	log, _ := connectortest.Logger()
	var runs firingLog
	s, err := NewScheduler(clock, log, nil, nil, Job{Name: "jittered",
		Schedule: everyMinute(t), Jitter: time.Minute,
		Run: func(_ context.Context, at time.Time) error {
			runs.add(at)
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	s.jitter = func(max time.Duration) time.Duration { return max / 2 }
	startScheduler(t, s)
	scheduled := t0.Truncate(time.Minute).Add(time.Minute)
	clock.waitForWaiters(t, 1)
	if w := clock.wakes(); !w[0].Equal(scheduled.Add(30 * time.Second)) {
		t.Fatalf("the scheduler wakes at %v, want %v and half the jitter",
			w, scheduled)
	}
	clock.Set(scheduled.Add(30 * time.Second))
	eventually(t, "the job ran once its jitter passed", func() bool {
		return runs.len() == 1
	})
	if !runs.times[0].Equal(scheduled) {
		t.Fatalf("ran for %v, want its scheduled time %v", runs.times[0], scheduled)
	}
}

func TestARunPastItsTimeoutIsCutOffAndTheNextFiringRuns(t *testing.T) {
	clock := newFakeClock(t0)
	log, _ := connectortest.Logger()
	var runs firingLog
	s, err := NewScheduler(clock, log, nil, nil, Job{Name: "stuck",
		Schedule: everyMinute(t), Timeout: 20 * time.Millisecond,
		Run: func(ctx context.Context, at time.Time) error {
			runs.add(at)
			<-ctx.Done() // a run that would never end by itself
			return ctx.Err()
		}})
	if err != nil {
		t.Fatal(err)
	}
	startScheduler(t, s)
	minute := t0.Truncate(time.Minute)
	for i := 1; i <= 2; i++ {
		clock.waitForWaiters(t, 1)
		clock.Set(minute.Add(time.Duration(i) * time.Minute))
		eventually(t, "the run was cut off", func() bool {
			st, _ := s.Stats("stuck")
			return st.Failed == int64(i) && !s.jobs[0].running.Load()
		})
	}
	if runs.len() != 2 {
		t.Fatalf("%d runs, want 2: a timed-out run must not hold the guard",
			runs.len())
	}
}

// A clock that jumps past several firings at once (a suspended machine, a
// stalled process) gets one late run, for the first firing missed, not
// one run per firing back to back; the next firing after the jump is kept.
func TestFiringsMissedWhileTheClockJumpedAreSkippedNotReplayed(t *testing.T) {
	clock := newFakeClock(t0)
	log, logs := connectortest.Logger()
	var runs firingLog
	s, err := NewScheduler(clock, log, nil, nil, Job{Name: "sweep",
		Schedule: everyMinute(t),
		Run: func(_ context.Context, at time.Time) error {
			runs.add(at)
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	startScheduler(t, s)
	minute := t0.Truncate(time.Minute)
	clock.waitForWaiters(t, 1)
	clock.Set(minute.Add(10*time.Minute + 30*time.Second))
	eventually(t, "the late run", func() bool { return runs.len() == 1 })
	clock.waitForWaiters(t, 1)
	if n := runs.len(); n != 1 {
		t.Fatalf("%d runs after a jump over ten firings, want 1 (%v)", n, runs.times)
	}
	if !strings.Contains(logs.String(), `skipped=9`) {
		t.Errorf("the skipped firings were not logged:\n%s", logs.String())
	}
	clock.Set(minute.Add(11 * time.Minute))
	eventually(t, "the firing after the jump", func() bool { return runs.len() == 2 })
	runs.mu.Lock()
	defer runs.mu.Unlock()
	if want := minute.Add(11 * time.Minute); !runs.times[1].Equal(want) {
		t.Errorf("second run for %v, want %v", runs.times[1], want)
	}
}
