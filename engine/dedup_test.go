package engine

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/sqlite"
)

// twin is a second engine instance in the same consumer group as r, on
// its own connection to the same SQLite file, as a second process is. It
// has r's connectors and configuration.
func twin(t *testing.T, r *rig) *rig {
	t.Helper()
	st, err := sqlite.Open(context.Background(), r.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r2 := &rig{t: t, cluster: r.cluster, brokers: r.brokers, store: st,
		dbPath: r.dbPath, conns: r.conns, exec: r.exec, cons: r.cons,
		logs: r.logs}
	r2.svc = r2.service(shippedPolicies(t))
	return r2
}

// sendConcurrently publishes payload n times at once, each copy under
// its own key so that the copies spread over the partitions.
func sendConcurrently(t *testing.T, brokers []string, payload []byte, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &kafka.Writer{Addr: kafka.TCP(brokers...),
				Topic: DefaultAlertsTopic, Balancer: &kafka.Hash{},
				RequiredAcks: kafka.RequireAll, BatchTimeout: time.Millisecond}
			defer w.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			errs <- w.WriteMessages(ctx, kafka.Message{
				Key: []byte(fmt.Sprintf("copy-%d", i)), Value: payload})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// bothSettled reports whether the two instances between them finished n
// messages, committed them, and left nothing in the outbox.
func bothSettled(a, b *rig, n int) bool {
	if a.reportCount()+b.reportCount() < n ||
		!a.svc.Consumer.Idle() || !b.svc.Consumer.Idle() {
		return false
	}
	return a.settled(0)
}

func TestTheSameAlertRevokesOnceWhateverTheDeliveries(t *testing.T) {
	r := newRig(t, "../testdata/inventory.yaml", nil)
	r2 := twin(t, r)
	r.start()
	r2.start()
	r.waitFor("both instances in the group", func() bool {
		return groupMembers(r.brokers) == 2
	})
	alert := readFile(t, erinAlert)
	sendConcurrently(t, r.brokers, alert, 10)
	r.waitFor("ten copies processed by two instances",
		func() bool { return bothSettled(r, r2, 10) })
	r.stop()
	r2.stop()

	first := append(r.reports, r2.reports...)
	t.Logf("%d copies on the first instance, %d on the second",
		len(r.reports), len(r2.reports))

	// After a restart, and after its actions were executed, it comes again.
	r.svc = r.service(shippedPolicies(t))
	r.reports = nil
	r.start()
	r.send([2][]byte{[]byte("erin"), alert})
	r.waitFor("the redelivery processed", func() bool { return r.settled(1) })
	r.stop()

	dups := 0
	for _, rep := range append(first, r.reports...) {
		if rep.Outcome.Duplicate {
			dups++
		}
	}
	if dups != 10 {
		t.Errorf("%d deliveries were duplicates, want 10 of 11", dups)
	}
	assertAuditCount(t, r.store, EventSignalDecided, 1)
	assertAuditCount(t, r.store, EventSessionRevoked, 2)
	assertAuditCount(t, r.store, EventCredentialRevoked, 1)
	assertAuditCount(t, r.store, EventPrincipalDisabled, 1)
	acts, err := r.store.ListActions(context.Background(), store.ActionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range acts {
		if a.State != store.ActionDone || a.Attempts != 1 {
			t.Errorf("action %s %s:%s is %s after %d attempts, want done after 1",
				a.Kind, a.TargetType, a.TargetID, a.State, a.Attempts)
		}
	}
}

// groupMembers is how many members the engine's consumer group has in a
// stable state, or 0.
func groupMembers(brokers []string) int {
	cl := &kafka.Client{Addr: kafka.TCP(brokers...)}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := cl.DescribeGroups(ctx, &kafka.DescribeGroupsRequest{
		GroupIDs: []string{DefaultGroupID}})
	if err != nil || len(resp.Groups) != 1 || resp.Groups[0].GroupState != "Stable" {
		return 0
	}
	return len(resp.Groups[0].Members)
}
