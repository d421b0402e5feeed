package engine

import (
	"cmp"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/policies"
	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/inventory"
	"github.com/killswitch-dev/killswitch/store/sqlite"
)

// corpusDir is the shared folder of real alert payloads.
const corpusDir = "../../shared/corpus"

// requireCorpus skips without the corpus, except under CI=true.
func requireCorpus(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(corpusDir); err == nil {
		return
	}
	msg := "the real alert corpus is not at " + corpusDir +
		" (it sits beside the repository as shared/corpus)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

func readCorpus(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpusDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rig is a whole engine on an in-process Kafka cluster and a SQLite
// registry, as `killswitch run` builds it.
type rig struct {
	t       testing.TB
	cluster *kfake.Cluster
	brokers []string
	store   store.Store
	dbPath  string
	svc     *Service
	mu      sync.Mutex
	reports []Report
	cancel  context.CancelFunc
	done    chan error
	// conns, exec and logs configure the next service built; service()
	// reads them. logs is io.Discard when nil.
	conns connectors.Set
	exec  ExecutorConfig
	cons  ConsumerConfig
	logs  io.Writer
	// reg, when set, gets the next service's metrics; guard are its
	// guardrails.
	reg   prometheus.Registerer
	guard Guardrails
	// gaugeTTL is the next service's GaugeTTL; 0 reads at every scrape.
	gaugeTTL time.Duration
}

func newRig(t testing.TB, inventoryPath string, ev Evaluator) *rig {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3,
		DefaultAlertsTopic, DefaultDLQTopic, DefaultRevocationsTopic),
		// Topics may be configured for payloads above the default 1 MB.
		kfake.BrokerConfigs(map[string]string{"message.max.bytes": "16777216"}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	dbPath := filepath.Join(t.TempDir(), "ks.db")
	st, err := sqlite.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	inv, err := inventory.Load(inventoryPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inv.Import(context.Background(), st, time.Now()); err != nil {
		t.Fatal(err)
	}
	if ev == nil {
		ev = shippedPolicies(t)
	}
	r := &rig{t: t, cluster: c, brokers: c.ListenAddrs(), store: st,
		dbPath: dbPath}
	r.svc = r.service(ev)
	return r
}

func shippedPolicies(t testing.TB) *rules.PolicySet {
	t.Helper()
	p, err := rules.Load(context.Background(), policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (r *rig) service(ev Evaluator) *Service {
	cfg := ServiceConfig{Consumer: r.cons, Executor: r.exec,
		Registerer: r.reg, Guardrails: r.guard,
		GaugeTTL: cmp.Or(r.gaugeTTL, -1)}
	cfg.Consumer.Brokers = r.brokers
	if cfg.Consumer.CommitInterval == 0 {
		cfg.Consumer.CommitInterval = 20 * time.Millisecond
	}
	if cfg.Executor.Poll == 0 {
		cfg.Executor.Poll = 20 * time.Millisecond
	}
	out := r.logs
	if out == nil {
		out = io.Discard
	}
	log := slog.New(slog.NewTextHandler(out,
		&slog.HandlerOptions{Level: slog.LevelDebug}))
	svc, err := NewService(cfg, r.store, ev, r.conns, time.Now, log)
	if err != nil {
		r.t.Fatal(err)
	}
	svc.Consumer.OnReport = func(rep Report) {
		r.mu.Lock()
		r.reports = append(r.reports, rep)
		r.mu.Unlock()
	}
	return svc
}

func (r *rig) start() {
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.done = cancel, make(chan error, 1)
	go func() { r.done <- r.svc.Run(ctx) }()
}

func (r *rig) stop() {
	r.t.Helper()
	r.cancel()
	if err := <-r.done; err != nil {
		r.t.Fatalf("engine stopped with %v", err)
	}
}

// send publishes payloads with kafka-go, keyed as given.
func (r *rig) send(keyed ...[2][]byte) {
	r.t.Helper()
	w := &kafka.Writer{Addr: kafka.TCP(r.brokers...), Topic: DefaultAlertsTopic,
		Balancer: &kafka.Hash{}, RequiredAcks: kafka.RequireAll,
		BatchTimeout: time.Millisecond, BatchBytes: 16 << 20}
	defer w.Close()
	msgs := make([]kafka.Message, 0, len(keyed))
	for _, kv := range keyed {
		msgs = append(msgs, kafka.Message{Key: kv[0], Value: kv[1]})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		r.t.Fatal(err)
	}
}

// waitFor polls cond until it holds, failing the test after a generous
// deadline (a hang, not a speed check).
func (r *rig) waitFor(what string, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			r.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *rig) reportCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.reports)
}

// settled reports whether n messages are finished and committed and the
// outbox has nothing left to run.
func (r *rig) settled(n int) bool {
	if r.reportCount() < n || !r.svc.Consumer.Idle() {
		return false
	}
	ctx := context.Background()
	for _, s := range []string{store.ActionPending, store.ActionRunning} {
		acts, err := r.store.ListActions(ctx, store.ActionFilter{State: s})
		if err != nil || len(acts) > 0 {
			return false
		}
	}
	return true
}

// committed returns the group's committed offset per partition of topic.
func (r *rig) committed(topic string) map[int]int64 {
	r.t.Helper()
	cl := &kafka.Client{Addr: kafka.TCP(r.brokers...)}
	resp, err := cl.OffsetFetch(context.Background(), &kafka.OffsetFetchRequest{
		GroupID: DefaultGroupID, Topics: map[string][]int{topic: {0, 1, 2}}})
	if err != nil {
		r.t.Fatal(err)
	}
	out := map[int]int64{}
	for _, p := range resp.Topics[topic] {
		out[p.Partition] = p.CommittedOffset
	}
	return out
}

// endOffsets returns the next offset to be written per partition.
func (r *rig) endOffsets(topic string) map[int]int64 {
	r.t.Helper()
	cl := &kafka.Client{Addr: kafka.TCP(r.brokers...)}
	resp, err := cl.ListOffsets(context.Background(), &kafka.ListOffsetsRequest{
		Topics: map[string][]kafka.OffsetRequest{topic: {
			kafka.LastOffsetOf(0), kafka.LastOffsetOf(1), kafka.LastOffsetOf(2)}}})
	if err != nil {
		r.t.Fatal(err)
	}
	out := map[int]int64{}
	for _, p := range resp.Topics[topic] {
		out[p.Partition] = p.LastOffset
	}
	return out
}

// readAll reads every message of a topic, from every partition.
func (r *rig) readAll(topic string) []kafka.Message {
	r.t.Helper()
	var all []kafka.Message
	for part, end := range r.endOffsets(topic) {
		if end <= 0 {
			continue
		}
		rd := kafka.NewReader(kafka.ReaderConfig{Brokers: r.brokers,
			Topic: topic, Partition: part, MaxWait: 50 * time.Millisecond})
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		for int64(len(all)) >= 0 {
			m, err := rd.ReadMessage(ctx)
			if err != nil {
				r.t.Fatalf("read %s/%d: %v", topic, part, err)
			}
			all = append(all, m)
			if m.Offset+1 >= end {
				break
			}
		}
		cancel()
		rd.Close()
	}
	return all
}

func headerValue(m kafka.Message, key string) string {
	for _, h := range m.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
