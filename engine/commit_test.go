package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/rules"
)

// waitBriefly polls cond for a short while: long enough for a commit
// that is due now, far shorter than an interval that must not be waited.
func waitBriefly(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func oktaBatch(key string, from, n int) [][2][]byte {
	msgs := make([][2][]byte, n)
	for i := range msgs {
		msgs[i] = [2][]byte{[]byte(key), uniqueOkta(from + i)}
	}
	return msgs
}

// oktaBatchAbout is oktaBatch about the user with that e-mail.
func oktaBatchAbout(email, key string, from, n int) [][2][]byte {
	msgs := make([][2][]byte, n)
	for i := range msgs {
		msgs[i] = [2][]byte{[]byte(key), oktaAbout(from+i, email)}
	}
	return msgs
}

// With an interval that never comes, finished messages are committed by
// count alone.
func TestOffsetsAreCommittedEveryNMessagesWithoutWaitingForTheInterval(t *testing.T) {
	r := newRig(t, "../testdata/inventory.yaml", nil)
	r.cons = ConsumerConfig{CommitInterval: time.Hour, CommitEvery: 5}
	r.svc = r.service(shippedPolicies(t))
	r.start()
	defer r.stop()
	r.send(oktaBatch("alice", 0, 10)...)
	// The fifth finished message nudges a commit of all that is finished
	// by then (five or more); whether a second commit follows depends on
	// how many finish after the first, so only the first is awaited.
	waitBriefly(t, "five or more messages committed by count", func() bool {
		return sumOffsets(r.committed(DefaultAlertsTopic)) >= 5
	})
}

// With neither the interval nor the count reached, stopping commits what
// is finished.
func TestStoppingFlushesTheLastCommit(t *testing.T) {
	r := newRig(t, "../testdata/inventory.yaml", nil)
	r.cons = ConsumerConfig{CommitInterval: time.Hour, CommitEvery: 1000}
	r.svc = r.service(shippedPolicies(t))
	r.start()
	r.send(oktaBatch("alice", 0, 3)...)
	r.waitFor("three messages processed", func() bool { return r.reportCount() == 3 })
	if got := sumOffsets(r.committed(DefaultAlertsTopic)); got > 0 {
		t.Fatalf("%d committed before the stop; the test needs none", got)
	}
	r.stop()
	if got := sumOffsets(r.committed(DefaultAlertsTopic)); got != 3 {
		t.Errorf("committed up to %d messages after the stop, want 3", got)
	}
}

// sumOffsets adds the committed offsets of every partition; -1 (nothing
// committed) counts as 0.
func sumOffsets(m map[int]int64) int64 {
	var n int64
	for _, o := range m {
		n += max(o, 0)
	}
	return n
}

// Messages a worker holds for a generation that ended (its partitions
// were revoked in a rebalance) are dropped unprocessed and uncommitted:
// the partition's new owner receives them again.
func TestMessagesOfARevokedGenerationAreDroppedNotProcessed(t *testing.T) {
	r := newRig(t, "../testdata/inventory.yaml", nil)
	c := r.svc.Consumer
	ctx := context.Background()
	live := &generation{stop: ctx, work: ctx, hard: ctx,
		offsets: newOffsetTracker(), every: 1000, nudge: make(chan struct{}, 1)}
	revoked := &generation{stop: ctx, work: ctx, hard: ctx,
		offsets: newOffsetTracker(), every: 1000, nudge: make(chan struct{}, 1)}
	revoked.ended.Store(true)

	in := make(chan job, 2)
	for i, g := range []*generation{revoked, live} {
		m := Message{Topic: DefaultAlertsTopic, Partition: i, Offset: 7,
			Key: []byte("alice"), Value: uniqueOkta(i)}
		g.offsets.Add(m.Partition, m.Offset)
		g.busy.Add(1)
		in <- job{msg: m, gen: g}
	}
	close(in)
	c.worker(in)

	if n := r.reportCount(); n != 1 {
		t.Fatalf("%d messages processed, want only the live generation's", n)
	}
	if got := revoked.offsets.Pending(); len(got) != 0 {
		t.Errorf("revoked generation would commit %v", got)
	}
	if got := live.offsets.Pending(); got[1] != 7 {
		t.Errorf("live generation would commit %v, want partition 1 at 7", got)
	}
	sigs, err := r.store.ListSignals(ctx, 0)
	if err != nil || len(sigs) != 1 {
		t.Errorf("%d signals recorded (%v), want 1", len(sigs), err)
	}
}

// gatedEvaluator holds the evaluation of the signal whose dedup key
// contains hold until gate is closed, and logs the order of evaluations.
type gatedEvaluator struct {
	Evaluator
	hold string
	gate chan struct{}
	mu   sync.Mutex
	seen []string
}

func (e *gatedEvaluator) Evaluate(ctx context.Context, in rules.Input) (rules.Decision, error) {
	if strings.Contains(in.Signal.DedupKey, e.hold) {
		<-e.gate
	}
	e.mu.Lock()
	e.seen = append(e.seen, in.Signal.DedupKey)
	e.mu.Unlock()
	return e.Evaluator.Evaluate(ctx, in)
}

func (e *gatedEvaluator) order() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.seen)
}

// Within one partition, one principal's signals are applied in order
// while another principal's go on: a slow signal holds up its own
// principal only.
func TestOnePrincipalIsSerialWhileOthersProceed(t *testing.T) {
	ev := &gatedEvaluator{Evaluator: shippedPolicies(t), hold: "bench-00000000",
		gate: make(chan struct{})}
	r := newRig(t, "../testdata/inventory.yaml", ev)
	slow, fast := keysOnDifferentWorkers(r.svc.Consumer)
	r.start()
	defer r.stop()
	defer func() {
		select {
		case <-ev.gate:
		default:
			close(ev.gate)
		}
	}()
	// Slow's two signals about alice first, then fast's three about dave.
	r.send(append(oktaBatch(slow, 0, 2),
		oktaBatchAbout("dave@example.com", fast, 100, 3)...)...)
	r.waitFor("the other principal's signals while the first is held",
		func() bool { return len(ev.order()) == 3 })
	close(ev.gate)
	r.waitFor("every signal processed", func() bool { return r.settled(5) })

	var slowOrder []string
	for _, k := range ev.order() {
		if strings.Contains(k, "bench-0000000") {
			slowOrder = append(slowOrder, k)
		}
	}
	if len(slowOrder) != 2 || !strings.Contains(slowOrder[0], "bench-00000000") {
		t.Errorf("held principal's signals evaluated as %v, want 0 then 1", slowOrder)
	}
}

// keysOnDifferentWorkers returns two message keys that hash to different
// workers, and so may run in parallel.
func keysOnDifferentWorkers(c *Consumer) (string, string) {
	for i := 1; ; i++ {
		a, b := "slow", fmt.Sprintf("fast-%d", i)
		if c.workerFor(Message{Key: []byte(a)}) != c.workerFor(Message{Key: []byte(b)}) {
			return a, b
		}
	}
}
