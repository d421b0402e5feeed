package engine

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/internal/logbuf"
)

// holdWriteLock takes the registry's write lock from a connection of its
// own, as another process (an import, a backup) does with a long
// exclusive transaction, and returns the function that lets it go.
func holdWriteLock(t *testing.T, path string) (release func()) {
	t.Helper()
	ctx := context.Background()
	// It waits its turn for the lock, as the engine may be writing.
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	return func() {
		if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
			t.Error(err)
		}
		conn.Close()
		db.Close()
	}
}

func (r *rig) signalCount() int {
	r.t.Helper()
	sigs, err := r.store.ListSignals(context.Background(), 0)
	if err != nil {
		r.t.Fatal(err)
	}
	return len(sigs)
}

// While another connection holds the registry's write lock for longer
// than the store waits for it, the consumer pauses: the writes fail as
// busy and are retried, no message is reported done and no offset is
// committed past what is stored. Once the lock goes, every message is
// stored, and committed.
func TestConsumingPausesWhileTheStoreIsLockedAndResumes(t *testing.T) {
	logs := &logbuf.Buffer{}
	r := newRig(t, "../testdata/inventory.yaml", nil)
	r.logs = logs
	r.svc = r.service(shippedPolicies(t))
	r.start()
	defer r.stop()
	r.send(oktaBatch("alice", 0, 3)...)
	r.waitFor("the first three settled", func() bool { return r.settled(3) })

	release := holdWriteLock(t, r.dbPath)
	locked := true
	defer func() {
		if locked {
			release()
		}
	}()
	var more [][2][]byte
	for i := range 10 {
		more = append(more, [2][]byte{[]byte(fmt.Sprint("p", i)), uniqueOkta(100 + i)})
	}
	r.send(more...)
	// The store waits 10s for the lock before it answers busy; hold it
	// until the consumer has seen that answer, checking all along.
	deadline := time.Now().Add(60 * time.Second)
	for !busyRetried(logs.String()) {
		if time.Now().After(deadline) {
			t.Fatalf("no message was retried after a busy write:\n%s", logs.String())
		}
		assertCommittedIsStored(t, r)
		time.Sleep(50 * time.Millisecond)
	}
	// Some more commit intervals with the lock held.
	for range 10 {
		time.Sleep(50 * time.Millisecond)
		assertCommittedIsStored(t, r)
	}
	if n := r.reportCount(); n != 3 {
		t.Errorf("%d messages done while the store was locked, want 3", n)
	}
	release()
	locked = false

	r.waitFor("all thirteen settled", func() bool { return r.settled(13) })
	if got := sumOffsets(r.committed(DefaultAlertsTopic)); got != 13 {
		t.Errorf("%d messages committed, want 13", got)
	}
	if n := r.signalCount(); n != 13 {
		t.Errorf("%d signals stored, want 13", n)
	}
}

// busyRetried reports whether the consumer logged a message to retry
// because the store was locked.
func busyRetried(logs string) bool {
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, "message will be retried") &&
			strings.Contains(line, "database is locked") {
			return true
		}
	}
	return false
}

// assertCommittedIsStored fails when more messages are committed than
// signals stored: every message of the test stores one signal.
func assertCommittedIsStored(t *testing.T, r *rig) {
	t.Helper()
	committed := sumOffsets(r.committed(DefaultAlertsTopic))
	if stored := r.signalCount(); committed > int64(stored) {
		t.Fatalf("%d messages committed, only %d signals stored", committed, stored)
	}
}
