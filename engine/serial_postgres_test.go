package engine

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/signals"
	"github.com/killswitch-dev/killswitch/store/inventory"
	"github.com/killswitch-dev/killswitch/store/postgres"
	"github.com/killswitch-dev/killswitch/store/postgres/pgtest"
)

// openShared opens n handles on one fresh PostgreSQL registry holding
// the demo inventory, as n instances of run would.
func openShared(t *testing.T, n int) []*postgres.Store {
	t.Helper()
	url := pgtest.Schema(t)
	out := make([]*postgres.Store, n)
	for i := range out {
		st, err := postgres.Open(t.Context(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		out[i] = st
	}
	inv, err := inventory.Load("../testdata/inventory.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inv.Import(t.Context(), out[0], time.Now()); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestInstancesSharingARegistryTakeTurnsOnAPrincipal: two instances of
// one consumer group each took alerts about alice under different keys
// (her e-mail, her user name) and evaluated them at once, each against
// the registry as it stood before the other recorded its decision.
func TestInstancesSharingARegistryTakeTurnsOnAPrincipal(t *testing.T) {
	stores := openShared(t, 2)
	ev := newOverlapEvaluator()
	ev.hold = func(rules.Input) { time.Sleep(2 * time.Millisecond) }
	pipes := []*Pipeline{
		NewPipeline(stores[0], ev, Guardrails{}, time.Now, discardLog()),
		NewPipeline(stores[1], ev, Guardrails{}, time.Now, discardLog()),
	}
	names := []signals.Subject{
		{Type: signals.SubjectEmail, Value: "alice@example.com", Role: signals.RoleTarget},
		{Type: signals.SubjectUsername, Value: "alice", Role: signals.RoleTarget},
	}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			sig := signalNaming(fmt.Sprintf("shared-%d", i), names[i%2])
			if _, err := pipes[i%2].ProcessSignal(t.Context(), sig); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := ev.most["alice"]; got != 1 {
		t.Fatalf("at most %d signals about alice were evaluated at once on two instances, want 1", got)
	}
}

// TestAPrincipalLockWaitsForItsHolderOnly: an instance holding alice
// keeps another from her until it lets go, not from dave.
func TestAPrincipalLockWaitsForItsHolderOnly(t *testing.T) {
	stores := openShared(t, 2)
	unlock, err := stores[0].LockPrincipals(t.Context(), []string{"alice", "dave"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := stores[1].LockPrincipals(t.Context(), []string{"frank"})
	if err != nil {
		t.Fatalf("frank, whom no one holds: %v", err)
	}
	other()
	got := make(chan error, 1)
	go func() {
		u, err := stores[1].LockPrincipals(t.Context(), []string{"dave"})
		if err == nil {
			u()
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("dave was taken while another instance held him (err %v)", err)
	case <-time.After(300 * time.Millisecond):
	}
	unlock()
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("dave was never taken after the holder let go")
	}
}
