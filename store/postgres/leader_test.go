package postgres_test

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/store/postgres"
	"github.com/killswitch-dev/killswitch/store/postgres/pgtest"
)

// leaderRetry is how often a candidate tries for the lead in tests.
const leaderRetry = 200 * time.Millisecond

// candidate is one instance campaigning for the lead on its own store.
type candidate struct {
	mu      sync.Mutex
	leading bool
	errs    []error
	stop    func()
}

// campaign opens a store on url and campaigns until the test ends or
// stop is called.
func campaign(t *testing.T, url string) *candidate {
	t.Helper()
	s, err := postgres.Open(t.Context(), url)
	must(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	c := &candidate{}
	c.stop = sync.OnceFunc(func() {
		cancel()
		<-done
		s.Close()
	})
	go func() {
		defer close(done)
		s.ElectLeader(ctx, leaderRetry, func(leading bool, err error) {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.leading = leading
			if err != nil {
				c.errs = append(c.errs, err)
			}
		})
	}()
	t.Cleanup(c.stop)
	return c
}

func (c *candidate) isLeading() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.leading
}

// reported returns the errors the candidate reported.
func (c *candidate) reported() []error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.errs
}

// waitFor waits, in real time, for cond.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after 10s: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// leaderPIDs lists the backends holding the leader's lock of the
// registry at url. The key is pinned here: "ks", 3 in the high half and
// the schema's oid in the low, a one-key lock (objsubid 1), apart from
// the principal locks (two keys, objsubid 2). Changing it would let an
// instance of an older version lead beside one of a newer.
func leaderPIDs(t *testing.T, db *sql.DB) []int {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), `SELECT pid FROM pg_locks
		WHERE locktype = 'advisory' AND granted AND objsubid = 1
		AND classid::bigint = x'6b730003'::bigint
		AND objid::bigint = (SELECT oid::bigint FROM pg_namespace
			WHERE nspname = current_schema())`)
	must(t, err)
	defer rows.Close()
	var pids []int
	for rows.Next() {
		var pid int
		must(t, rows.Scan(&pid))
		pids = append(pids, pid)
	}
	must(t, rows.Err())
	return pids
}

// exactlyOne returns the one of cs that leads, failing unless one does
// and the server shows one backend holding the lock.
func exactlyOne(t *testing.T, db *sql.DB, cs ...*candidate) *candidate {
	t.Helper()
	var leader *candidate
	waitFor(t, "one candidate leads", func() bool {
		n := 0
		for _, c := range cs {
			if c.isLeading() {
				n, leader = n+1, c
			}
		}
		if n > 1 {
			t.Fatalf("%d candidates lead at once", n)
		}
		return n == 1
	})
	if pids := leaderPIDs(t, db); len(pids) != 1 {
		t.Fatalf("backends holding the leader's lock: %v, want one", pids)
	}
	return leader
}

func TestOfTwoCandidatesExactlyOneLeads(t *testing.T) {
	url := pgtest.Schema(t)
	db := rawDB(t, url)
	a, b := campaign(t, url), campaign(t, url)
	leader := exactlyOne(t, db, a, b)
	follower := a
	if leader == a {
		follower = b
	}
	// Several more attempts of the follower change nothing.
	time.Sleep(5 * leaderRetry)
	exactlyOne(t, db, a, b)
	if follower.isLeading() || !leader.isLeading() {
		t.Fatal("the lead changed hands while its holder lived")
	}
	if errs := follower.reported(); len(errs) != 0 {
		t.Fatalf("the follower reported errors: %v", errs)
	}
}

// The server ending the leader's session (pg_terminate_backend, as a
// failover or an operator would) ends its lead at once, and the other
// candidate takes over at its next attempt.
func TestWhenTheLeadersSessionIsEndedTheOtherTakesOver(t *testing.T) {
	url := pgtest.Schema(t)
	db := rawDB(t, url)
	a, b := campaign(t, url), campaign(t, url)
	leader := exactlyOne(t, db, a, b)
	follower := a
	if leader == a {
		follower = b
	}
	pids := leaderPIDs(t, db)
	var ended bool
	must(t, db.QueryRowContext(t.Context(),
		`SELECT pg_terminate_backend($1)`, pids[0]).Scan(&ended))
	if !ended {
		t.Fatalf("backend %d not ended", pids[0])
	}
	waitFor(t, "the ended leader says it leads no more", func() bool {
		return !leader.isLeading()
	})
	waitFor(t, "the follower takes over", follower.isLeading)
	if errs := leader.reported(); len(errs) == 0 ||
		!strings.Contains(errs[0].Error(), "connection lost") {
		t.Fatalf("the ended leader reported %v, want its connection lost",
			errs)
	}
	if got := leaderPIDs(t, db); len(got) != 1 || got[0] == pids[0] {
		t.Fatalf("backends holding the lock %v, want one other than %d",
			got, pids[0])
	}
}

// A leader that stops lets the lock go with its connection: the other
// takes over without waiting for anything to lapse.
func TestALeaderThatStopsLetsTheOtherLead(t *testing.T) {
	url := pgtest.Schema(t)
	db := rawDB(t, url)
	a, b := campaign(t, url), campaign(t, url)
	leader := exactlyOne(t, db, a, b)
	follower := a
	if leader == a {
		follower = b
	}
	leader.stop()
	waitFor(t, "the follower takes over", follower.isLeading)
	exactlyOne(t, db, follower)
}

// Two registries in one database, in two schemas, have a leader each.
func TestEachRegistryOfADatabaseHasItsOwnLeader(t *testing.T) {
	one, two := pgtest.Schema(t), pgtest.Schema(t)
	a, b := campaign(t, one), campaign(t, two)
	waitFor(t, "both lead", func() bool {
		return a.isLeading() && b.isLeading()
	})
}
