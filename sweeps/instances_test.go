package sweeps

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/connectortest"
	"github.com/killswitch-dev/killswitch/connectors/kratos"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
	"github.com/killswitch-dev/killswitch/inventorysync"
	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/sqlite"
)

func TestTwoInstancesOnOneStoreRunEachScheduledTimeOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ks.db")
	clock := newFakeClock(t0)
	var rigs []*rig
	var scheds []*Scheduler
	for _, owner := range []string{"instance-a", "instance-b"} {
		st, err := sqlite.Open(context.Background(), path)
		must(t, err)
		t.Cleanup(func() { st.Close() })
		r := newRigOn(t, st, clock, owner)
		// On SQLite each instance is its own leader: the sweep's lease
		// alone keeps them from running it twice.
		lead := NewLeadership(st, 0, r.runner.deps.Log, nil)
		if !lead.Leading() {
			t.Fatal("an instance on SQLite does not lead")
		}
		s := r.scheduler(t, clock, lead)
		rigs, scheds = append(rigs, r), append(scheds, s)
		startScheduler(t, s)
	}
	st := rigs[0].store
	must(t, st.PutLock(context.Background(), store.Lock{ID: "lck-1",
		TargetType: "principal", Target: "gone", CreatedAt: t0,
		ExpiresAt: t0.Add(90 * time.Second)}))
	minute := t0.Truncate(time.Minute)
	const firings = 4
	for i := 1; i <= firings; i++ {
		clock.waitForWaiters(t, 2)
		clock.Set(minute.Add(time.Duration(i) * time.Minute))
		eventually(t, "both instances are done with the firing", func() bool {
			for _, s := range scheds {
				if st, _ := s.Stats("lock-hygiene"); st.Started != int64(i) ||
					s.jobs[0].running.Load() {
					return false
				}
			}
			return true
		})
	}
	var elsewhere int64
	for _, s := range scheds {
		st, _ := s.Stats("lock-hygiene")
		elsewhere += st.Elsewhere
		if st.Failed != 0 || st.Panicked != 0 {
			t.Errorf("an instance failed a firing: %+v", st)
		}
	}
	if elsewhere != firings {
		t.Errorf("%d firings left to the other instance, want %d (one of "+
			"the two each time)", elsewhere, firings)
	}
	runs, err := st.ListSweepRuns(context.Background(), "lock-hygiene", 0)
	must(t, err)
	if len(runs) != firings {
		t.Fatalf("%d runs recorded, want %d: %+v", len(runs), firings, runs)
	}
	for i, run := range runs {
		want := minute.Add(time.Duration(firings-i) * time.Minute)
		if !run.ScheduledAt.Equal(want) || run.Outcome != store.SweepSucceeded {
			t.Errorf("run %d: %s for %v, want succeeded for %v", i,
				run.Outcome, run.ScheduledAt, want)
		}
	}
	events, _ := auditEvents(t, st, 0)
	expired := 0
	for _, e := range events {
		if e == EventLockExpired+" lock:lck-1" {
			expired++
		}
	}
	if expired != 1 {
		t.Errorf("the lock's expiry was audited %d times, want once: %v",
			expired, events)
	}
}

// scheduler schedules the rig's lock-hygiene every minute while lead
// leads.
func (r *rig) scheduler(t *testing.T, clock *fakeClock, lead *Leadership) *Scheduler {
	t.Helper()
	job, err := r.runner.Job(JobConfig{Sweep: "lock-hygiene",
		Schedule: "* * * * *"})
	must(t, err)
	s, err := NewScheduler(clock, r.runner.deps.Log, nil, lead, job)
	must(t, err)
	return s
}

func TestASweepAnotherInstanceIsRunningIsLeftToIt(t *testing.T) {
	r := newRig(t, t0)
	ctx := context.Background()
	got, err := r.store.AcquireSweepLease(ctx, "lock-hygiene", "instance-b",
		t0, time.Hour)
	must(t, err)
	if !got {
		t.Fatal("instance-b did not get a free lease")
	}
	_, err = r.runner.Run(ctx, "lock-hygiene", t0, 0)
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("run while instance-b holds the lease: %v, want ErrBusy", err)
	}
	runs, err := r.store.ListSweepRuns(ctx, "lock-hygiene", 0)
	must(t, err)
	if len(runs) != 0 {
		t.Fatalf("a refused run was recorded: %+v", runs)
	}
	later := t0.Add(time.Hour)
	r.clock.Set(later) // instance-b died holding it; the lease lapses
	if _, err := r.runner.Run(ctx, "lock-hygiene", later, 0); err != nil {
		t.Fatalf("run after the lease lapsed: %v", err)
	}
}

// A run whose work hangs is cut off before its lease lapses, so that no
// other instance can take the sweep up while it still runs: here an
// inventory sync whose provider never answers.
func TestARunIsCutOffBeforeItsLeaseLapses(t *testing.T) {
	hung := connectortest.NewServer(t, http.NotFoundHandler())
	hung.Storm(connectortest.Fault{Delay: time.Minute})
	r := newRig(t, t0)
	r.put(t, "ann", store.KindHuman, nil)
	ctx := context.Background()
	must(t, r.store.PutAlias(ctx, store.Alias{Type: "email",
		Value: "ann@example.com", PrincipalID: "ann"}))
	kc, err := kratos.New("kratos", "kratos", kratos.Config{
		HTTP: restclient.Config{BaseURL: hung.URL,
			Timeout: time.Minute}}, r.runner.deps.Log)
	must(t, err)
	conns, err := connectors.NewSet(kc)
	must(t, err)
	r.runner.deps.Syncer = inventorysync.New(r.store, conns, r.clock.Now,
		r.runner.deps.Log)
	const lease = 2 * time.Second
	started := time.Now()
	_, err = r.runner.Run(ctx, "inventory-sync", t0, lease)
	// The provider hangs a minute; a run that waited for it would
	// outlive its lease many times over.
	if took := time.Since(started); took > 30*time.Second {
		t.Fatalf("the run took %v: it was not cut off before its %v lease",
			took, lease)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("run: %v, want it cut off (context deadline exceeded)", err)
	}
	runs, lerr := r.store.ListSweepRuns(ctx, "inventory-sync", 1)
	must(t, lerr)
	if len(runs) != 1 || runs[0].Outcome != store.SweepFailed {
		t.Fatalf("runs %+v, err %v: want the run recorded as failed", runs, err)
	}
}

// A run cut off because the process is stopping (its context cancelled,
// not timed out) is recorded as interrupted, not as a failed sweep.
func TestARunCutOffByShutdownIsInterruptedNotFailed(t *testing.T) {
	hung := connectortest.NewServer(t, http.NotFoundHandler())
	hung.Storm(connectortest.Fault{Delay: time.Minute})
	r := newRig(t, t0)
	r.put(t, "ann", store.KindHuman, nil)
	must(t, r.store.PutAlias(context.Background(), store.Alias{Type: "email",
		Value: "ann@example.com", PrincipalID: "ann"}))
	kc, err := kratos.New("kratos", "kratos", kratos.Config{
		HTTP: restclient.Config{BaseURL: hung.URL,
			Timeout: time.Minute}}, r.runner.deps.Log)
	must(t, err)
	conns, err := connectors.NewSet(kc)
	must(t, err)
	r.runner.deps.Syncer = inventorysync.New(r.store, conns, r.clock.Now,
		r.runner.deps.Log)
	ctx, stop := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, stop)
	_, err = r.runner.Run(ctx, "inventory-sync", t0, time.Hour)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("run: %v, want it cut off (context canceled)", err)
	}
	runs, lerr := r.store.ListSweepRuns(context.Background(), "inventory-sync", 1)
	must(t, lerr)
	if len(runs) != 1 || runs[0].Outcome != store.SweepInterrupted {
		t.Fatalf("runs %+v: want the run recorded as interrupted", runs)
	}
}
