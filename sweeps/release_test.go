package sweeps

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/store/postgres"
	"github.com/killswitch-dev/killswitch/store/postgres/pgtest"
)

// A run whose registry fails as it lets the lease go (PostgreSQL down
// for a moment, a failover) asks again until it can: the lease left
// behind held every other instance off the sweep for its hour, though
// the run had ended, and after a failover that moves the lead the new
// leader skipped the sweep as busy. Here the server refuses the
// release, by a trigger, until the test lifts it.
func TestALeaseTheRegistryFailedToReleaseIsReleasedWhenItCan(t *testing.T) {
	url := pgtest.Schema(t)
	db, err := sql.Open("pgx", url)
	must(t, err)
	defer db.Close()
	ctx := context.Background()
	open := func(owner string) *rig {
		st, err := postgres.Open(ctx, url)
		must(t, err)
		t.Cleanup(func() { st.Close() })
		return newRigOn(t, st, newFakeClock(t0), owner)
	}
	a, b := open("instance-a"), open("instance-b")
	_, err = db.ExecContext(ctx, `CREATE TABLE release_refused (x int);
		INSERT INTO release_refused VALUES (1);
		CREATE FUNCTION refuse_release() RETURNS trigger AS $$ BEGIN
		IF EXISTS (SELECT 1 FROM release_refused) THEN
		RAISE EXCEPTION 'the server is going down'; END IF;
		RETURN OLD; END $$ LANGUAGE plpgsql;
		CREATE TRIGGER refuse_release BEFORE DELETE ON sweep_leases
		FOR EACH ROW EXECUTE FUNCTION refuse_release()`)
	must(t, err)

	done := make(chan error, 1)
	go func() {
		_, err := a.runner.Run(ctx, "lock-hygiene", t0, 0)
		done <- err
	}()
	eventually(t, "the run ends", func() bool {
		runs, err := a.store.ListSweepRuns(ctx, "lock-hygiene", 0)
		return err == nil && len(runs) == 1 && !runs[0].FinishedAt.IsZero()
	})
	if _, err := b.runner.Run(ctx, "lock-hygiene", t0.Add(time.Minute),
		0); !errors.Is(err, ErrBusy) {
		t.Fatalf("a run while the first still holds the lease: %v, "+
			"want ErrBusy", err)
	}
	eventually(t, "the refused release is warned of", func() bool {
		return strings.Contains(a.logs.String(), "sweep lease not released")
	})
	_, err = db.ExecContext(ctx, `DELETE FROM release_refused`)
	must(t, err)
	select {
	case err := <-done:
		must(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("the run did not return once the release could be done")
	}
	if _, err := b.runner.Run(ctx, "lock-hygiene", t0.Add(time.Minute),
		0); err != nil {
		t.Fatalf("a run after the first ended: %v (its lease was left "+
			"behind)", err)
	}
}
