package engine

import (
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/killswitch-dev/killswitch/internal/logbuf"
)

// holdFetches makes the broker late with every fetch, as a loaded one
// is: each is held for d before the broker starts its long-poll wait.
// It returns the count of fetches held so far.
func holdFetches(c *kfake.Cluster, d time.Duration) *atomic.Int64 {
	var n atomic.Int64
	c.ControlKey(int16(kmsg.Fetch), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		n.Add(1)
		c.SleepControl(func() { time.Sleep(d) })
		return nil, nil, false
	})
	return &n
}

// An idle consumer long-polls the broker again and again; each poll that
// ends without data is normal, even when the broker answers late, and
// must not reach the log as a Kafka warning. With the former 250ms wait
// the reader gave the broker 62ms of slack, and a broker 150ms late
// timed the connection out on every poll.
func TestAnIdleConsumerOnASlowBrokerLogsNoKafkaWarning(t *testing.T) {
	r := newRig(t, "../testdata/inventory.yaml", nil)
	logs := &logbuf.Buffer{}
	r.logs = logs
	r.svc = r.service(shippedPolicies(t))
	held := holdFetches(r.cluster, 150*time.Millisecond)
	r.start()

	// Three partitions: twelve fetches are several empty polls each.
	r.waitFor("twelve fetches", func() bool { return held.Load() >= 12 })
	r.send(oktaBatch("alice", 0, 1)...)
	r.waitFor("the message handled", func() bool { return r.settled(1) })
	r.stop()

	for _, line := range kafkaWarnings(logs.String()) {
		t.Errorf("idle polling logged a warning: %s", line)
	}
}

// A broker that does not answer within the whole wait is a real fault:
// the reader says so at Warn, naming the timeout.
func TestABrokerLaterThanTheFetchWaitIsAKafkaWarning(t *testing.T) {
	r := newRig(t, "../testdata/inventory.yaml", nil)
	logs := &logbuf.Buffer{}
	r.logs = logs
	r.svc = r.service(shippedPolicies(t))
	// Held 2.5s, past the reader's 1.5s (the broker then answers at
	// once: the 500ms it was asked to hold an empty fetch are over).
	holdFetches(r.cluster, 2500*time.Millisecond)
	r.start()
	defer r.stop()

	r.waitFor("a kafka warning", func() bool {
		for _, line := range kafkaWarnings(logs.String()) {
			if strings.Contains(line, "i/o timeout") {
				return true
			}
		}
		return false
	})
}

// kafkaWarnings returns the log lines kafka-go reported at Warn or above.
func kafkaWarnings(logs string) []string {
	var out []string
	for line := range strings.Lines(logs) {
		if strings.Contains(line, "kafka:") &&
			(strings.Contains(line, "level=WARN") ||
				strings.Contains(line, "level=ERROR")) {
			out = append(out, strings.TrimSpace(line))
		}
	}
	return out
}

// During an outage the Kafka client reports every retry of every
// partition; a responder must see the error, not a screenful of it.
func TestKafkaClientErrorsOfOneKindAreLoggedOncePerWindow(t *testing.T) {
	logs := &logbuf.Buffer{}
	now := time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC)
	logf := kafkaLoggerAt(slog.New(slog.NewTextHandler(logs, nil)),
		func() time.Time { return now })
	for p := range 5 {
		logf("error reading partition %d: %v", p, "connection refused")
	}
	logf("unable to join group %q: %v", "killswitch", "coordinator not available")
	now = now.Add(kafkaRepeatWindow)
	logf("error reading partition %d: %v", 2, "connection refused")
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3 (the first of each kind, then the "+
			"next after the window):\n%s", len(lines), logs.String())
	}
	for i, want := range []string{"error reading partition 0: connection refused",
		"unable to join group", "error reading partition 2: connection refused"} {
		if !strings.Contains(lines[i], want) {
			t.Errorf("line %d: %s\nwant %q", i, lines[i], want)
		}
	}
	if !strings.Contains(lines[2], "repeated=4 since=2026-12-04T03:00:00Z") {
		t.Errorf("the line after the window does not count the 4 held back: %s",
			lines[2])
	}
}
