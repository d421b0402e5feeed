package sweeps

import (
	"context"
	"crypto/rand"
	"database/sql"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/postgres"
	"github.com/killswitch-dev/killswitch/store/postgres/pgtest"
)

// instance is one killswitch instance of a test: its rig, its
// leadership and its scheduler, under an application_name of its own.
type instance struct {
	*rig
	app     string
	lead    *Leadership
	sched   *Scheduler
	metrics *Metrics
}

// startInstance opens the registry at url as the instance app and
// starts its leadership, trying every 200ms, and its scheduler.
func startInstance(t *testing.T, url, app string, clock *fakeClock) *instance {
	t.Helper()
	st, err := postgres.Open(context.Background(),
		url+"&application_name="+app)
	must(t, err)
	in := &instance{rig: newRigOn(t, st, clock, app), app: app}
	in.metrics, err = NewMetrics(prometheus.NewRegistry())
	must(t, err)
	in.lead = NewLeadership(st, 200*time.Millisecond,
		in.runner.deps.Log, in.metrics)
	in.sched = in.scheduler(t, clock, in.lead)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		in.lead.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		st.Close()
	})
	startScheduler(t, in.sched)
	return in
}

// fired counts the firings the instance started and skipped.
func (in *instance) fired() int64 {
	st, _ := in.sched.Stats("lock-hygiene")
	return st.Started + st.Followed
}

// gauge is the instance's killswitch_sweep_leader.
func (in *instance) gauge() float64 {
	return testutil.ToFloat64(in.metrics.leading)
}

// theLeader waits for exactly one of a and b to lead and the other to
// say it follows, and returns the two.
func theLeader(t *testing.T, a, b *instance) (leader, follower *instance) {
	t.Helper()
	eventually(t, "exactly one instance leads", func() bool {
		return a.lead.Leading() != b.lead.Leading()
	})
	leader, follower = b, a
	if a.lead.Leading() {
		leader, follower = a, b
	}
	eventually(t, "the other says it follows", func() bool {
		return strings.Contains(follower.logs.String(), "this one follows")
	})
	if leader.gauge() != 1 || follower.gauge() != 0 {
		t.Fatalf("killswitch_sweep_leader: %v on the leader, %v on the "+
			"follower, want 1 and 0", leader.gauge(), follower.gauge())
	}
	return leader, follower
}

// fire moves the clock to the next minute and waits until both
// instances are done with that firing.
func fire(t *testing.T, clock *fakeClock, minute time.Time, ins ...*instance) {
	t.Helper()
	want := make([]int64, len(ins))
	for i, in := range ins {
		want[i] = in.fired() + 1
	}
	clock.waitForWaiters(t, len(ins))
	clock.Set(minute)
	eventually(t, "both instances are done with the firing", func() bool {
		for i, in := range ins {
			if in.fired() != want[i] || in.sched.jobs[0].running.Load() {
				return false
			}
		}
		return true
	})
}

// endSessions ends every session of the instance app on the server, as
// a failover or an operator's pg_terminate_backend would.
func endSessions(t *testing.T, app string) {
	t.Helper()
	db, err := sql.Open("pgx", pgtest.ServerURL())
	must(t, err)
	defer db.Close()
	var ended int
	must(t, db.QueryRowContext(t.Context(), `SELECT
		count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = $1`, app).Scan(&ended))
	if ended == 0 {
		t.Fatalf("no session of %s to end", app)
	}
}

// Of two instances on one PostgreSQL registry, only the leader runs the
// scheduled sweeps; the follower skips its firings and says once that it
// follows. When the server ends the leader's sessions, the follower
// takes over.
func TestOnPostgresOnlyTheLeaderRunsScheduledSweeps(t *testing.T) {
	url := pgtest.Schema(t)
	clock := newFakeClock(t0)
	suffix := strings.ToLower(rand.Text()[:10])
	a := startInstance(t, url, "ks_sweeps_a_"+suffix, clock)
	b := startInstance(t, url, "ks_sweeps_b_"+suffix, clock)
	leader, follower := theLeader(t, a, b)
	minute := t0.Truncate(time.Minute)
	for i := 1; i <= 3; i++ {
		fire(t, clock, minute.Add(time.Duration(i)*time.Minute), a, b)
	}
	for in, want := range map[*instance]JobStats{
		leader: {Started: 3}, follower: {Followed: 3}} {
		if got, _ := in.sched.Stats("lock-hygiene"); got != want {
			t.Errorf("%s: %+v, want %+v", in.app, got, want)
		}
	}
	if n := strings.Count(follower.logs.String(), "this one follows"); n != 1 {
		t.Errorf("the follower said %d times that it follows, want "+
			"once:\n%s", n, follower.logs)
	}

	endSessions(t, leader.app)
	eventually(t, "the follower takes over", func() bool {
		return follower.lead.Leading() && !leader.lead.Leading()
	})
	if follower.gauge() != 1 || leader.gauge() != 0 {
		t.Fatalf("killswitch_sweep_leader after the takeover: %v on the "+
			"new leader, %v on the old, want 1 and 0", follower.gauge(),
			leader.gauge())
	}
	for i := 4; i <= 5; i++ {
		fire(t, clock, minute.Add(time.Duration(i)*time.Minute), a, b)
	}
	if got, _ := follower.sched.Stats("lock-hygiene"); got.Started != 2 {
		t.Errorf("the new leader ran %d firings, want 2: %+v",
			got.Started, got)
	}
	if got, _ := leader.sched.Stats("lock-hygiene"); got.Started != 3 {
		t.Errorf("the old leader ran %d firings, want its first 3: %+v",
			got.Started, got)
	}
	runs, err := a.store.ListSweepRuns(context.Background(),
		"lock-hygiene", 0)
	must(t, err)
	if len(runs) != 5 {
		t.Fatalf("%d runs recorded, want 5: %+v", len(runs), runs)
	}
	for _, run := range runs {
		if run.Outcome != store.SweepSucceeded {
			t.Errorf("run %+v did not succeed", run)
		}
	}
}
