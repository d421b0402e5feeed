package engine

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/store"
)

// crowdInventory writes an inventory of n people, u000 and on, each with
// an email and one Okta session, and returns its path.
func crowdInventory(t *testing.T, n int) string {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("principals:\n")
	for i := range n {
		fmt.Fprintf(&b, `  - id: u%03[1]d
    kind: human
    aliases: [{type: email, value: u%03[1]d@example.com}]
    sessions:
      - {id: u%03[1]d-okta, provider: okta, kind: browser, created_at: -1h}
`, i)
	}
	path := filepath.Join(t.TempDir(), "crowd.yaml")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// accountDisabled is erin's RISC account-disabled alert, about u<i>.
func accountDisabled(t *testing.T, i int) []byte {
	t.Helper()
	alert := readFile(t, erinAlert)
	for _, r := range [][2]string{
		{`"9e0d1c2b3a4f5e6d7c8b9a0f1e2d3c4b"`, fmt.Sprintf(`"crowd-%03d"`, i)},
		{"erin@example.com", fmt.Sprintf("u%03d@example.com", i)},
	} {
		if !bytes.Contains(alert, []byte(r[0])) {
			t.Fatalf("%s no longer holds %s", erinAlert, r[0])
		}
		alert = bytes.Replace(alert, []byte(r[0]), []byte(r[1]), 1)
	}
	return alert
}

// slowConnector answers as conn does, after a delay, as a provider
// across a network does; it keeps actions in flight long enough for a
// rebalance to find some.
type slowConnector struct {
	*flakyConnector
	delay time.Duration
}

func (c slowConnector) Revoke(ctx context.Context, req connectors.Request) connectors.Result {
	select {
	case <-time.After(c.delay):
	case <-ctx.Done():
		return connectors.Result{Outcome: connectors.Retryable, Err: ctx.Err()}
	}
	return c.flakyConnector.Revoke(ctx, req)
}

// duplicates counts the messages found recorded already.
func (r *rig) duplicates() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, rep := range r.reports {
		if rep.Outcome.Duplicate {
			n++
		}
	}
	return n
}

// pacedSender publishes one message at a time, every so often, in the
// background, and counts what it sent.
type pacedSender struct {
	sent atomic.Int64
	done chan error
}

func sendPaced(brokers []string, msgs [][2][]byte, every time.Duration) *pacedSender {
	p := &pacedSender{done: make(chan error, 1)}
	go func() {
		w := &kafka.Writer{Addr: kafka.TCP(brokers...), Topic: DefaultAlertsTopic,
			Balancer: &kafka.Hash{}, RequiredAcks: kafka.RequireAll,
			BatchTimeout: time.Millisecond}
		defer w.Close()
		for _, m := range msgs {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			err := w.WriteMessages(ctx, kafka.Message{Key: m[0], Value: m[1]})
			cancel()
			if err != nil {
				p.done <- err
				return
			}
			p.sent.Add(1)
			time.Sleep(every)
		}
		p.done <- nil
	}()
	return p
}

// Two instances in one consumer group on one store, through two
// rebalances mid-stream (the second joins, then the first leaves): every
// alert is recorded, every offset committed, and the provider is asked
// once per session and once per principal, never twice. Each alert names
// its own person, so each provider call belongs to one action's
// idempotency key.
func TestTwoInstancesThroughRebalancesExecuteNoActionTwice(t *testing.T) {
	const n = 120
	conn := slowConnector{newFlakyConnector(0, connectors.Done), 5 * time.Millisecond}
	a := newRig(t, crowdInventory(t, n), nil)
	a.conns = connectors.Set{conn.Provider(): conn}
	a.svc = a.service(shippedPolicies(t))
	b := twin(t, a)
	a.start()
	a.waitFor("the first instance in the group",
		func() bool { return groupMembers(a.brokers) == 1 })

	msgs := make([][2][]byte, n)
	for i := range msgs {
		msgs[i] = [2][]byte{fmt.Appendf(nil, "u%03d", i), accountDisabled(t, i)}
	}
	p := sendPaced(a.brokers, msgs, 40*time.Millisecond)
	a.waitFor("a quarter sent", func() bool { return p.sent.Load() >= n/4 })
	b.start()
	defer b.stop()
	a.waitFor("both instances in the group",
		func() bool { return groupMembers(a.brokers) == 2 })
	a.waitFor("half sent", func() bool { return p.sent.Load() >= n/2 })
	a.stop()
	if err := <-p.done; err != nil {
		t.Fatal(err)
	}
	b.waitFor("every alert recorded, committed and acted on", func() bool {
		return a.signalCount() == n && b.settled(0) &&
			sumOffsets(b.committed(DefaultAlertsTopic)) == n
	})

	if a.reportCount() == 0 || b.reportCount() == 0 {
		t.Fatalf("instances processed %d and %d messages; the test needs both",
			a.reportCount(), b.reportCount())
	}
	// A message finished after an earlier one of its partition was cut
	// off by a rebalance cannot be committed (an offset has no gaps): it
	// comes again, and the store finds it recorded.
	t.Logf("the instances finished %d and %d messages, %d of them found "+
		"recorded already", a.reportCount(), b.reportCount(),
		a.duplicates()+b.duplicates())
	calls, done := conn.counts()
	for i := range n {
		for _, target := range []string{fmt.Sprintf("session:u%03d-okta", i),
			fmt.Sprintf("principal:u%03d", i)} {
			if calls[target] != 1 || done[target] != 1 {
				t.Errorf("%s: %d provider calls, %d changes; want 1 and 1",
					target, calls[target], done[target])
			}
		}
	}
	if len(calls) != 2*n {
		t.Errorf("provider called about %d targets, want %d", len(calls), 2*n)
	}
	failed, err := a.store.ListActions(context.Background(),
		store.ActionFilter{State: store.ActionFailed})
	if err != nil || len(failed) != 0 {
		t.Errorf("%d actions failed (%v), want none", len(failed), err)
	}
}
