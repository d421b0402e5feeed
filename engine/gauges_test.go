package engine

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/store"
)

// gathered returns the samples of one family by their label values
// joined with "/", in the label names' order, as a scrape reads them.
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
	if got := gathered(t, reg, "killswitch_outbox_depth"); len(got) != 15 ||
		got["pending/revoke_sessions"] != 0 {
		t.Fatalf("empty outbox: %v, want 15 series at 0", got)
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
		"pending/revoke_sessions": 1, "pending/revoke_credential": 1,
		"pending/disable_principal": 1, "pending/lock": 0,
		"running/revoke_sessions": 0, "awaiting_approval/revoke_sessions": 0,
	} {
		if got[key] != want {
			t.Errorf("outbox depth %s = %v, want %v", key, got[key], want)
		}
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

func TestHealthNamesThePartThatIsDown(t *testing.T) {
	r, _ := metricsRig(t, nil, nil)
	ctx := context.Background()
	wantDown(t, r.svc.Health(ctx), "engine")
	r.start()
	r.waitFor("the engine healthy", func() bool { return r.svc.Health(ctx) == nil })
	r.cluster.Close()
	wantDown(t, r.svc.Health(ctx), "kafka")
	r.stop()
	wantDown(t, r.svc.Health(ctx), "engine")
}

func TestHealthReportsAStoreThatDoesNotAnswer(t *testing.T) {
	r, _ := metricsRig(t, nil, nil)
	ctx := context.Background()
	r.start()
	r.waitFor("the engine healthy", func() bool { return r.svc.Health(ctx) == nil })
	r.store.Close()
	wantDown(t, r.svc.Health(ctx), "store")
	r.stop()
}

func wantDown(t *testing.T, err error, component string) {
	t.Helper()
	var he *HealthError
	if !errors.As(err, &he) || he.Component != component {
		t.Fatalf("health = %v, want %s down", err, component)
	}
}
