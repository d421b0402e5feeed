package main

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/postgres"
	"github.com/killswitch-dev/killswitch/store/sqlite"
)

// burstSize is how many alerts a restart test publishes: enough that the
// engine is still busy when it is stopped.
const burstSize = 150

// burst is a registry of burstSize people, one live session each, and one
// RISC account-disabled alert per person, on a broker that outlives the
// engine processes (as a real cluster does).
type burst struct {
	t      *testing.T
	dir    string
	db     string
	broker string
	alerts []string
}

func newBurst(t *testing.T) *burst {
	t.Helper()
	return newBurstIn(t, "")
}

// newBurstIn is newBurst on the registry db, a PostgreSQL URL, or on an
// SQLite file of its own when db is empty.
func newBurstIn(t *testing.T, db string) *burst {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3,
		engine.DefaultAlertsTopic, engine.DefaultDLQTopic,
		engine.DefaultRevocationsTopic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	b := &burst{t: t, dir: t.TempDir(), broker: c.ListenAddrs()[0]}
	b.db = cmp.Or(db, filepath.Join(b.dir, "ks.db"))
	b.writeFiles()
	if out, code := ks(t, "--store", b.db, "import", b.file("inventory.yaml")); code != 0 {
		t.Fatalf("import exited %d: %s", code, out)
	}
	return b
}

func (b *burst) file(name string) string { return filepath.Join(b.dir, name) }

func (b *burst) writeFiles() {
	var inv strings.Builder
	inv.WriteString("principals:\n")
	for i := range burstSize {
		fmt.Fprintf(&inv, "  - id: u%03d\n    kind: human\n"+
			"    aliases: [{type: email, value: u%03d@example.com}]\n"+
			"    sessions: [{id: u%03d-web, provider: okta, kind: browser}]\n",
			i, i, i)
		alert := fmt.Sprintf(`{"iss": "https://accounts.example.com/",
			"jti": "burst-%03d", "iat": 1796039100,
			"sub_id": {"format": "email", "email": "u%03d@example.com"},
			"events": {"https://schemas.openid.net/secevent/risc/`+
			`event-type/account-disabled": {"reason": "hijacking"}}}`, i, i)
		name := b.file(fmt.Sprintf("alert-%03d.json", i))
		b.write(name, alert)
		b.alerts = append(b.alerts, name)
	}
	b.write(b.file("inventory.yaml"), inv.String())
}

func (b *burst) write(name, content string) {
	if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
		b.t.Fatal(err)
	}
}

// start runs `killswitch run` on the burst's broker and store.
func (b *burst) start(logs *bytes.Buffer) *exec.Cmd {
	b.t.Helper()
	cmd := exec.Command(binary, "--store", b.db, "run", "--listen", "127.0.0.1:0",
		"--kafka-brokers", b.broker)
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		b.t.Fatal(err)
	}
	b.t.Cleanup(func() { cmd.Process.Kill() })
	return cmd
}

// send publishes every alert with `killswitch send`.
func (b *burst) send() {
	b.t.Helper()
	args := append([]string{"send", "--kafka-brokers", b.broker}, b.alerts...)
	if out, code := ks(b.t, args...); code != 0 {
		b.t.Fatalf("send exited %d: %s", code, out)
	}
}

// open opens the registry beside the engine process, as a responder's CLI
// would.
func (b *burst) open() store.Store {
	b.t.Helper()
	var st store.Store
	var err error
	if postgres.IsURL(b.db) {
		st, err = postgres.Open(context.Background(), b.db)
	} else {
		st, err = sqlite.Open(context.Background(), b.db)
	}
	if err != nil {
		b.t.Fatal(err)
	}
	b.t.Cleanup(func() { st.Close() })
	return st
}

// waitFor polls cond until it holds, failing after a generous deadline (a
// hang, not a speed check; a crashed run leaves leases of 30s).
func (b *burst) waitFor(what string, cond func() bool) {
	b.t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			b.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// signalCount is how many signals the registry has recorded.
func (b *burst) signalCount(st store.Store) int {
	recs, err := st.ListSignals(context.Background(), 0)
	if err != nil {
		return -1
	}
	return len(recs)
}

// settled reports whether every alert is recorded, the outbox has nothing
// left to run, and the group's offsets are at the end of the topic.
func (b *burst) settled(st store.Store) bool {
	if b.signalCount(st) != burstSize {
		return false
	}
	for _, s := range []string{store.ActionPending, store.ActionRunning} {
		acts, err := st.ListActions(context.Background(), store.ActionFilter{State: s})
		if err != nil || len(acts) > 0 {
			return false
		}
	}
	return b.offsetsCommitted()
}

func (b *burst) offsetsCommitted() bool {
	cl := &kafka.Client{Addr: kafka.TCP(b.broker)}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	topic := engine.DefaultAlertsTopic
	ends, err := cl.ListOffsets(ctx, &kafka.ListOffsetsRequest{
		Topics: map[string][]kafka.OffsetRequest{topic: {kafka.LastOffsetOf(0),
			kafka.LastOffsetOf(1), kafka.LastOffsetOf(2)}}})
	if err != nil {
		return false
	}
	got, err := cl.OffsetFetch(ctx, &kafka.OffsetFetchRequest{
		GroupID: engine.DefaultGroupID, Topics: map[string][]int{topic: {0, 1, 2}}})
	if err != nil {
		return false
	}
	committed := map[int]int64{}
	for _, p := range got.Topics[topic] {
		committed[p.Partition] = p.CommittedOffset
	}
	for _, p := range ends.Topics[topic] {
		if p.LastOffset > 0 && committed[p.Partition] != p.LastOffset {
			return false
		}
	}
	return true
}

// assertActedOnceEach checks that every alert was acted on exactly once:
// every session revoked, every principal disabled, one audit entry each.
func (b *burst) assertActedOnceEach(st store.Store) {
	b.t.Helper()
	ctx := context.Background()
	live, err := st.ListSessions(ctx, store.SessionFilter{Status: store.StatusActive})
	if err != nil {
		b.t.Fatal(err)
	}
	if len(live) != 0 {
		b.t.Errorf("%d sessions still active, want none", len(live))
	}
	entries, err := st.ListAudit(ctx, store.AuditFilter{})
	if err != nil {
		b.t.Fatal(err)
	}
	perSubject := map[string]int{}
	for _, e := range entries {
		perSubject[e.Event+" "+e.Subject]++
	}
	for i := range burstSize {
		for _, key := range []string{
			fmt.Sprintf("%s u%03d-web", engine.EventSessionRevoked, i),
			fmt.Sprintf("%s u%03d", engine.EventPrincipalDisabled, i),
		} {
			if perSubject[key] != 1 {
				b.t.Errorf("%d audit entries %q, want 1", perSubject[key], key)
			}
		}
	}
	for key, n := range perSubject {
		if strings.HasPrefix(key, engine.EventSignalDecided+" ") && n != 1 {
			b.t.Errorf("%d audit entries %q, want 1", n, key)
		}
		if strings.HasPrefix(key, engine.EventActionDone+" ") && n != 1 {
			b.t.Errorf("%d audit entries %q, want 1", n, key)
		}
	}
	failed, _ := st.ListActions(ctx, store.ActionFilter{State: store.ActionFailed})
	if len(failed) != 0 {
		b.t.Errorf("%d actions failed, want none; first: %+v", len(failed), failed[0])
	}
}

func TestRunResumesAfterSIGKILLAndActsOnceOnEachAlert(t *testing.T) {
	b := newBurst(t)
	st := b.open()
	var logs bytes.Buffer
	first := b.start(&logs)
	b.send()
	b.waitFor("the first alert recorded", func() bool {
		return b.signalCount(st) > 0
	})
	first.Process.Signal(syscall.SIGKILL)
	waitExit(first, 30*time.Second)
	t.Logf("killed after %d of %d alerts were recorded",
		b.signalCount(st), burstSize)

	var logs2 bytes.Buffer
	second := b.start(&logs2)
	b.waitFor("every alert acted on and committed", func() bool {
		return b.settled(st)
	})
	second.Process.Signal(syscall.SIGTERM)
	if err := waitExit(second, 30*time.Second); err != nil {
		t.Fatalf("run did not stop on SIGTERM: %v\n%s", err, logs2.String())
	}
	b.assertActedOnceEach(st)
}

func TestRunStopsOnSIGTERMMidBurstAndLosesNothing(t *testing.T) {
	b := newBurst(t)
	st := b.open()
	var logs bytes.Buffer
	first := b.start(&logs)
	b.send()
	b.waitFor("the first alert recorded", func() bool {
		return b.signalCount(st) > 0
	})
	first.Process.Signal(syscall.SIGTERM)
	if err := waitExit(first, 30*time.Second); err != nil {
		t.Fatalf("run did not stop on SIGTERM: %v\n%s", err, logs.String())
	}
	t.Logf("stopped after %d of %d alerts were recorded",
		b.signalCount(st), burstSize)

	var logs2 bytes.Buffer
	second := b.start(&logs2)
	b.waitFor("every alert acted on and committed", func() bool {
		return b.settled(st)
	})
	second.Process.Signal(syscall.SIGTERM)
	if err := waitExit(second, 30*time.Second); err != nil {
		t.Fatalf("run did not stop on SIGTERM: %v\n%s", err, logs2.String())
	}
	b.assertActedOnceEach(st)
}
