package engine

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/store"
)

// gathered returns the samples of one family by their label values
// joined with "/", in the label names' alphabetical order, as a scrape
// reads them.
func gathered(t *testing.T, reg *prometheus.Registry, name string) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.Metric {
			key := ""
			for i, l := range m.Label {
				if i > 0 {
					key += "/"
				}
				key += l.GetValue()
			}
			out[key] = m.GetGauge().GetValue()
		}
	}
	return out
}

func TestOutboxDepthCountsTheActionsThatWait(t *testing.T) {
	conn := newFlakyConnector(1000, connectors.Retryable)
	r, reg := metricsRig(t, nil, func(r *rig) {
		r.conns = connectors.Set{conn.Provider(): conn}
		r.exec = ExecutorConfig{Backoff: time.Hour}
	})
	if got := gathered(t, reg, "killswitch_outbox_depth"); len(got) != 20 ||
		got["revoke_sessions/pending"] != 0 {
		t.Fatalf("empty outbox: %v, want 20 series at 0", got)
	}
	r.start()
	r.send([2][]byte{[]byte("erin"), readFile(t, erinAlert)})
	r.waitFor("erin's three actions tried and waiting", func() bool {
		acts, err := r.store.ListActions(context.Background(),
			store.ActionFilter{State: store.ActionPending})
		if err != nil || len(acts) != 3 {
			return false
		}
		for _, a := range acts {
			if a.Attempts == 0 {
				return false
			}
		}
		return true
	})
	r.stop()
	got := gathered(t, reg, "killswitch_outbox_depth")
	for key, want := range map[string]float64{
		"revoke_sessions/pending": 1, "revoke_credential/pending": 1,
		"disable_principal/pending": 1, "lock/pending": 0,
		"revoke_sessions/running": 0, "revoke_sessions/awaiting_approval": 0,
		"revoke_sessions/failed": 0,
	} {
		if got[key] != want {
			t.Errorf("outbox depth %s = %v, want %v", key, got[key], want)
		}
	}
}

func TestOutboxDepthCountsUnknownKindsAsOther(t *testing.T) {
	got := outboxDepth([]store.ActionCount{
		{State: store.ActionFailed, Kind: "lock", Count: 2},
		{State: store.ActionFailed, Kind: "wipe_laptop", Count: 3},
		{State: store.ActionPending, Kind: "quarantine", Count: 1},
	})
	want := map[[2]string]int{{"failed", "lock"}: 2, {"failed", "other"}: 3,
		{"pending", "other"}: 1, {"running", "notify"}: 0}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("depth %v = %d, want %d", k, got[k], n)
		}
	}
	if len(got) != 22 {
		t.Errorf("%d series, want 20 known and 2 other: %v", len(got), got)
	}
}

// countingStats counts the reads of a store's stats.
type countingStats struct {
	store.Stats
	reads int
}

func (c *countingStats) CountActions(ctx context.Context,
	states ...string) ([]store.ActionCount, error) {
	c.reads++
	return c.Stats.CountActions(ctx, states...)
}

func TestScrapesWithinTheTTLReadTheStoreOnce(t *testing.T) {
	r := newRig(t, "../testdata/inventory.yaml", nil)
	st := &countingStats{Stats: r.store}
	reg := prometheus.NewRegistry()
	reg.MustRegister(newOutboxCollector(st, time.Hour))
	for range 5 {
		gathered(t, reg, "killswitch_outbox_depth")
	}
	if st.reads != 1 {
		t.Fatalf("five scrapes read the store %d times, want once", st.reads)
	}
	reg = prometheus.NewRegistry()
	reg.MustRegister(newOutboxCollector(st, -1))
	for range 2 {
		gathered(t, reg, "killswitch_outbox_depth")
	}
	if st.reads != 3 {
		t.Fatalf("without a TTL: %d reads in all, want 3", st.reads)
	}
}

func TestConsumerLagIsWhatTheGroupHasNotCommitted(t *testing.T) {
	r, reg := metricsRig(t, nil, nil)
	r.send(
		[2][]byte{[]byte("erin"), readFile(t, erinAlert)},
		[2][]byte{[]byte("grace"), readFile(t, graceAlertFile)},
		[2][]byte{[]byte("x"), []byte("not json")},
	)
	if sum := lagSum(t, reg); sum != 3 {
		t.Fatalf("lag before consuming = %v, want 3", sum)
	}
	r.start()
	r.waitFor("all three committed", func() bool { return r.settled(3) })
	r.stop()
	if sum := lagSum(t, reg); sum != 0 {
		t.Fatalf("lag once committed = %v, want 0", sum)
	}
}

func lagSum(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	lag := gathered(t, reg, "killswitch_consumer_lag")
	if len(lag) != 3 {
		t.Fatalf("lag of %d partitions, want 3: %v", len(lag), lag)
	}
	var sum float64
	for _, n := range lag {
		sum += n
	}
	return sum
}

func TestReadinessNamesThePartThatIsDown(t *testing.T) {
	r, _ := metricsRig(t, nil, nil)
	wantReady(t, r.svc, "consumer")
	r.start()
	r.waitFor("the consumer in its group", func() bool {
		return notReady(r.svc) == ""
	})
	r.store.Close()
	wantReady(t, r.svc, "store")
	r.stop()
}

func TestReadinessSaysWhenTheBrokersAreGone(t *testing.T) {
	r, _ := metricsRig(t, nil, nil)
	r.start()
	r.waitFor("the consumer in its group", func() bool {
		return notReady(r.svc) == ""
	})
	r.cluster.Close()
	wantReady(t, r.svc, "consumer")
	r.stop()
	wantReady(t, r.svc, "consumer")
}

// notReady lists the parts that are not ready, joined with ",".
func notReady(s *Service) string {
	var down []string
	for _, c := range s.Ready(context.Background()) {
		if c.Err != nil {
			down = append(down, c.Part)
		}
	}
	return strings.Join(down, ",")
}

func wantReady(t *testing.T, s *Service, down string) {
	t.Helper()
	if got := notReady(s); got != down {
		t.Fatalf("parts not ready: %q, want %q (%v)", got, down,
			s.Ready(context.Background()))
	}
}

func TestAStoreThatDoesNotAnswerFailsTheOutboxDepthOnly(t *testing.T) {
	r, reg := metricsRig(t, nil, nil)
	r.store.Close()
	mfs, err := reg.Gather()
	if err == nil || !strings.Contains(err.Error(), "outbox depth") {
		t.Fatalf("gather error %v, want one naming the outbox depth", err)
	}
	names := map[string]bool{}
	for _, mf := range mfs {
		names[mf.GetName()] = true
	}
	if names["killswitch_outbox_depth"] || !names["killswitch_consumer_lag"] {
		t.Fatalf("families gathered: %v, want the lag without the depth", names)
	}
}
