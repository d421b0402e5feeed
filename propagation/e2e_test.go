package propagation

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/policies"
	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/inventory"
)

// TestAnAlertThroughTheEngineReachesTheReceiverAsAVerifiedSET runs the
// whole path: a CAEP alert about Dave's stolen laptop goes through an
// in-process Kafka broker into the engine with the shipped policies,
// which revokes the session; the transmitter, an engine sink, queues a
// SET and the pusher delivers it to a receiver that verifies it.
func TestAnAlertThroughTheEngineReachesTheReceiverAsAVerifiedSET(t *testing.T) {
	r := newRig(t, Config{}, PushConfig{Poll: 20 * time.Millisecond})
	importInventory(t, r.store)
	rc := newReceiver(t, r.srv.URL, "https://gateway.example")
	r.pushStream(rc)
	brokers := startBroker(t)
	svc := startEngine(t, r, brokers)

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 2)
	go func() { done <- svc.Run(ctx) }()
	go func() { done <- r.pusher.Run(ctx) }()
	defer func() { cancel(); <-done; <-done }()

	alert, err := os.ReadFile("../testdata/alerts/05-caep-session-revoked-dave.json")
	must(t, err)
	publish(t, brokers, alert)

	deadline := time.Now().Add(60 * time.Second)
	for len(rc.received()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no SET reached the receiver")
		}
		time.Sleep(20 * time.Millisecond)
	}
	got := rc.received()[0].claims
	typ, _ := event(t, got)
	sub, _ := got["sub_id"].(map[string]any)
	session, _ := sub["session"].(map[string]any)
	user, _ := sub["user"].(map[string]any)
	if typ != EventSessionRevoked || session["id"] != "okta-sess-dave-laptop" ||
		user["email"] != "dave@example.com" {
		t.Fatalf("SET = %v, want Dave's laptop session revoked", got)
	}
	s, err := r.store.GetSession(t.Context(), "dave-laptop")
	must(t, err)
	if s.Status != store.StatusRevoked || got["txn"] != s.Revocation.SignalID {
		t.Fatalf("session %+v; SET txn %v, want it revoked by that signal",
			s.Revocation, got["txn"])
	}
}

func importInventory(t *testing.T, st store.Store) {
	t.Helper()
	inv, err := inventory.Load("../testdata/inventory.yaml")
	must(t, err)
	_, err = inv.Import(t.Context(), st, time.Now())
	must(t, err)
}

func startBroker(t *testing.T) []string {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1,
		engine.DefaultAlertsTopic, engine.DefaultDLQTopic,
		engine.DefaultRevocationsTopic))
	must(t, err)
	t.Cleanup(c.Close)
	return c.ListenAddrs()
}

// startEngine builds the engine with the transmitter as a sink, as
// `killswitch run` does.
func startEngine(t *testing.T, r *rig, brokers []string) *engine.Service {
	t.Helper()
	pol, err := rules.Load(t.Context(), policies.FS)
	must(t, err)
	cfg := engine.ServiceConfig{
		Consumer: engine.ConsumerConfig{Brokers: brokers,
			CommitInterval: 20 * time.Millisecond},
		Executor: engine.ExecutorConfig{Poll: 20 * time.Millisecond},
		Sinks:    []engine.Publisher{r.tx},
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := engine.NewService(cfg, r.store, pol, nil, time.Now, log)
	must(t, err)
	return svc
}

func publish(t *testing.T, brokers []string, value []byte) {
	t.Helper()
	w := &kafka.Writer{Addr: kafka.TCP(brokers...), Topic: engine.DefaultAlertsTopic,
		RequiredAcks: kafka.RequireAll, BatchTimeout: time.Millisecond}
	defer w.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	must(t, w.WriteMessages(ctx, kafka.Message{Key: []byte("dave"), Value: value}))
}
