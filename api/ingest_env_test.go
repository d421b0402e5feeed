package api_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/killswitch-dev/killswitch/api"
	"github.com/killswitch-dev/killswitch/api/ingest"
	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/policies"
	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/store/inventory"
	"github.com/killswitch-dev/killswitch/store/sqlite"
)

// ingestEnv is the API with alert ingestion over an in-process Kafka
// cluster (kfake) and a SQLite registry holding the demo inventory; with
// engine set, the engine runs on both as `killswitch run` wires it.
type ingestEnv struct {
	*env
	cluster *kfake.Cluster
	brokers []string
	in      *ingest.Ingester
	reg     *prometheus.Registry
	svc     *engine.Service
	// handled counts the messages the engine finished.
	handled atomic.Int64
}

// ingestSetup changes what newIngestEnv builds.
type ingestSetup struct {
	ops    api.Ops
	ingest ingest.Config
	engine bool
}

func newIngestEnv(t *testing.T, set func(*ingestSetup)) *ingestEnv {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3,
		engine.DefaultAlertsTopic, engine.DefaultDLQTopic,
		engine.DefaultRevocationsTopic))
	must(t, err)
	t.Cleanup(c.Close)
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "ks.db"))
	must(t, err)
	t.Cleanup(func() { st.Close() })
	inv, err := inventory.Load("../testdata/inventory.yaml")
	must(t, err)
	_, err = inv.Import(t.Context(), st, time.Now())
	must(t, err)
	e := &ingestEnv{env: &env{t: t, st: st, clock: &clock{now: time.Now()},
		logs: &bytes.Buffer{}}, cluster: c, brokers: c.ListenAddrs(),
		reg: prometheus.NewRegistry()}
	log := slog.New(slog.NewTextHandler(e.logs, nil))
	s := &ingestSetup{ingest: ingest.Config{Brokers: e.brokers,
		Registerer: e.reg}}
	set(s)
	e.in, err = ingest.New(s.ingest, st, time.Now)
	must(t, err)
	t.Cleanup(func() { e.in.Close() })
	s.ops.Ingest = e.in
	if s.engine {
		e.startEngine(log)
		s.ops.Executor = e.svc.Executor
	}
	srv, err := api.New(api.Config{Store: st, Now: e.clock.Now, Log: log,
		Ops: s.ops})
	must(t, err)
	mux := http.NewServeMux()
	mux.Handle(api.BasePath+"/", srv.Handler())
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

// startEngine runs the engine with the shipped policies until the test
// ends.
func (e *ingestEnv) startEngine(log *slog.Logger) {
	t := e.t
	pol, err := rules.Load(t.Context(), policies.FS)
	must(t, err)
	e.svc, err = engine.NewService(engine.ServiceConfig{
		Consumer: engine.ConsumerConfig{Brokers: e.brokers,
			CommitInterval: 20 * time.Millisecond},
		Executor: engine.ExecutorConfig{Poll: 20 * time.Millisecond},
		GaugeTTL: -1}, e.st, pol, connectors.Set{}, time.Now, log)
	must(t, err)
	e.svc.Consumer.OnReport = func(engine.Report) { e.handled.Add(1) }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.svc.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("engine stopped with %v", err)
		}
	})
}

// post sends body to POST /v1/alerts with that content type.
func (e *env) post(path, secret, contentType string, body []byte) response {
	e.t.Helper()
	req, _ := http.NewRequestWithContext(e.t.Context(), http.MethodPost,
		e.srv.URL+path, bytes.NewReader(body))
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	req.Header.Set("Content-Type", contentType)
	res, err := e.srv.Client().Do(req)
	must(e.t, err)
	defer res.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(res.Body)
	return response{status: res.StatusCode, header: res.Header,
		body: b.Bytes()}
}

// waitFor polls cond until it holds, failing the test after a generous
// deadline (a hang, not a speed check).
func (e *ingestEnv) waitFor(what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// readAll reads every message of a topic, partition by partition.
func (e *ingestEnv) readAll(topic string) []kafka.Message {
	e.t.Helper()
	cl := &kafka.Client{Addr: kafka.TCP(e.brokers...)}
	resp, err := cl.ListOffsets(context.Background(), &kafka.ListOffsetsRequest{
		Topics: map[string][]kafka.OffsetRequest{topic: {
			kafka.LastOffsetOf(0), kafka.LastOffsetOf(1),
			kafka.LastOffsetOf(2)}}})
	must(e.t, err)
	var all []kafka.Message
	for _, p := range resp.Topics[topic] {
		all = append(all, e.readPartition(topic, p.Partition, p.LastOffset)...)
	}
	return all
}

func (e *ingestEnv) readPartition(topic string, part int,
	end int64) []kafka.Message {
	if end <= 0 {
		return nil
	}
	rd := kafka.NewReader(kafka.ReaderConfig{Brokers: e.brokers,
		Topic: topic, Partition: part, MaxWait: 50 * time.Millisecond})
	defer rd.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out []kafka.Message
	for {
		m, err := rd.ReadMessage(ctx)
		if err != nil {
			e.t.Fatalf("read %s/%d: %v", topic, part, err)
		}
		out = append(out, m)
		if m.Offset+1 >= end {
			return out
		}
	}
}

func header(m kafka.Message, key string) string {
	for _, h := range m.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	must(t, err)
	return b
}

// counter is the value of the counter name with those labels, given as
// name, value pairs in the order of their names; 0 when it was never
// counted.
func (e *ingestEnv) counter(name string, labels ...string) float64 {
	e.t.Helper()
	fams, err := e.reg.Gather()
	must(e.t, err)
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if labelsAre(m.GetLabel(), labels) {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func labelsAre(ls []*dto.LabelPair, pairs []string) bool {
	if 2*len(ls) != len(pairs) {
		return false
	}
	for i, l := range ls {
		if l.GetName() != pairs[2*i] || l.GetValue() != pairs[2*i+1] {
			return false
		}
	}
	return true
}
