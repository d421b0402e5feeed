package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/store"
)

// ServiceConfig configures a whole engine: the Kafka source, the outbox
// executor, where revocations are published, and the guardrails.
type ServiceConfig struct {
	Consumer ConsumerConfig
	Executor ExecutorConfig
	// RevocationsTopic receives a RevocationEvent per revoked session,
	// credential and principal; default DefaultRevocationsTopic.
	RevocationsTopic string
	// Sinks also receive every revocation, after the Kafka topic: the
	// Shared Signals transmitter and webhooks (package propagation). A
	// sink's error makes the executor retry the action.
	Sinks      []Publisher
	Guardrails Guardrails
	// Decoder decodes each alert payload; nil uses signals.Decode (the
	// built-in decoders only). A *signals.Mappings adds a mapping
	// file's mappings.
	Decoder PayloadDecoder
	// Registerer, when set, gets the engine's metrics (see Metrics and
	// the outbox and consumer lag gauges). One engine per registry.
	Registerer prometheus.Registerer
	// GaugeTTL is how long the outbox depth and the consumer lag read
	// at one scrape serve the next ones: one grouped store query and a
	// few broker requests per TTL, whatever the scrape rate. Default
	// DefaultGaugeTTL; negative reads at every scrape.
	GaugeTTL time.Duration
	// ShutdownGrace, when set, is the ShutdownGrace of both the consumer
	// and the executor: how long in-flight work may take to finish once
	// the engine is asked to stop.
	ShutdownGrace time.Duration
}

// Service is the running engine: consumer, pipeline and executor over one
// registry.
type Service struct {
	Pipeline *Pipeline
	Executor *Executor
	Consumer *Consumer
	// Metrics records what the engine does; nil without a Registerer.
	Metrics *Metrics
	pub     *KafkaPublisher
	log     *slog.Logger
	stats   store.Stats
	// kafka asks the brokers for readiness and the lag gauge.
	kafka      *kafka.Client
	kafkaConns *kafka.Transport
	running    atomic.Bool
}

// NewService wires an engine. Nothing runs until Run.
func NewService(cfg ServiceConfig, st store.Store, ev Evaluator,
	conns connectors.Set, clock Clock, log *slog.Logger) (*Service, error) {
	if err := cfg.Consumer.Validate(); err != nil {
		return nil, err
	}
	if cfg.ShutdownGrace > 0 {
		cfg.Consumer.ShutdownGrace = cfg.ShutdownGrace
		cfg.Executor.ShutdownGrace = cfg.ShutdownGrace
	}
	if cfg.RevocationsTopic == "" {
		cfg.RevocationsTopic = DefaultRevocationsTopic
	}
	pub := NewKafkaPublisher(cfg.Consumer.Brokers, cfg.RevocationsTopic)
	pipe := NewPipeline(st, ev, cfg.Guardrails, clock, log)
	pipe.decoder = cfg.Decoder
	if cfg.Executor.Budgets == nil {
		cfg.Executor.Budgets = cfg.Guardrails.budgetsInForce(ev)
	}
	exec := NewExecutor(st, conns, append(Publishers{pub}, cfg.Sinks...),
		cfg.Executor, clock, log)
	cons, err := NewConsumer(cfg.Consumer, pipe, st, exec, log)
	if err != nil {
		return nil, err
	}
	kconns := &kafka.Transport{}
	s := &Service{Pipeline: pipe, Executor: exec, Consumer: cons,
		pub: pub, log: log, stats: st, kafkaConns: kconns,
		kafka: &kafka.Client{Addr: kafka.TCP(cfg.Consumer.Brokers...),
			Timeout: scrapeTimeout, Transport: kconns}}
	if cfg.GaugeTTL == 0 {
		cfg.GaugeTTL = DefaultGaugeTTL
	}
	if err := s.registerMetrics(cfg.Registerer, cfg.GaugeTTL); err != nil {
		return nil, err
	}
	return s, nil
}

// registerMetrics gives reg the engine's metrics, the outbox depth and
// the consumer lag; a nil reg gets nothing. The metrics count budget
// trips unless the guardrails were given a counter of their own.
func (s *Service) registerMetrics(reg prometheus.Registerer,
	ttl time.Duration) error {
	m, err := NewMetrics(reg)
	if err != nil || m == nil {
		return err
	}
	s.Metrics = m
	s.Pipeline.metrics, s.Executor.metrics, s.Consumer.metrics = m, m, m
	if s.Pipeline.guard.Trips == nil {
		s.Pipeline.guard.Trips = m
	}
	cfg := s.Consumer.cfg
	for _, c := range []prometheus.Collector{newOutboxCollector(s.stats, ttl),
		newLagCollector(s.kafka, cfg.Topic, cfg.GroupID, ttl)} {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("register engine metrics: %w", err)
		}
	}
	return nil
}

// Run consumes and executes until ctx is done. On shutdown the consumer
// finishes the message in hand and commits, the executor finishes the
// action in hand, each within its grace; what is left stays in Kafka and
// in the outbox for the next start, and an *AbandonedError says how much.
func (s *Service) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var execErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		execErr = s.Executor.Run(ctx)
	}()
	s.running.Store(true)
	err := s.Consumer.Run(ctx)
	s.running.Store(false)
	cancel() // a consumer that could not start stops the executor too
	wg.Wait()
	s.kafkaConns.CloseIdleConnections()
	return errors.Join(mergeAbandoned(err, execErr), s.pub.Close())
}

// mergeAbandoned joins the consumer's and the executor's errors, folding
// two *AbandonedError into one.
func mergeAbandoned(cons, exec error) error {
	var a, b *AbandonedError
	if errors.As(cons, &a) && errors.As(exec, &b) {
		return &AbandonedError{Messages: a.Messages, Actions: b.Actions,
			Grace: a.Grace}
	}
	return errors.Join(cons, exec)
}
