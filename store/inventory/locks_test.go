package inventory_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/inventory"
)

// TestImportOfALockedPrincipalsSessionFails places a lock on alice and
// then imports her new credential and sessions: the import stops with
// store.ErrLocked naming the lock.
func TestImportOfALockedPrincipalsSessionFails(t *testing.T) {
	f, err := inventory.Parse([]byte(full), "inventory.yaml")
	must(t, err)
	s := openStore(t)
	must(t, s.PutPrincipal(t.Context(), store.Principal{ID: "alice",
		Kind: store.KindHuman}))
	must(t, s.PutLock(t.Context(), store.Lock{ID: "lck-alice",
		TargetType: "principal", Target: "alice", Reason: "INC-44",
		CreatedBy: "operator:dana", CreatedAt: time.Now()}))
	_, err = f.Import(t.Context(), s, now)
	if !errors.Is(err, store.ErrLocked) ||
		!strings.Contains(err.Error(), "lck-alice") {
		t.Fatalf("import: %v, want store.ErrLocked naming lck-alice", err)
	}
	ss, err := s.ListSessions(t.Context(), store.SessionFilter{
		PrincipalID: "alice"})
	must(t, err)
	if len(ss) != 0 {
		t.Fatalf("alice's sessions = %d, want none", len(ss))
	}
}
