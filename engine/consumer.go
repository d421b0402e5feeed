package engine

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/killswitch-dev/killswitch/store"
)

// Default topic and group names.
const (
	DefaultAlertsTopic      = "security.alerts"
	DefaultDLQTopic         = "security.alerts.dlq"
	DefaultRevocationsTopic = "killswitch.revocations"
	DefaultGroupID          = "killswitch"
)

// DLQ header names. The reason header holds the error text, which names
// the field and the value's place but never a secret.
const (
	HeaderErrorCode       = "killswitch-error-code"
	HeaderError           = "killswitch-error"
	HeaderSourceTopic     = "killswitch-source-topic"
	HeaderSourcePartition = "killswitch-source-partition"
	HeaderSourceOffset    = "killswitch-source-offset"
	// HeaderPayloadOmitted is set when the payload was too large for the
	// DLQ and was left out; read it at the source offset.
	HeaderPayloadOmitted = "killswitch-payload-omitted"
	// HeaderSource names where a payload that never was on the alerts
	// topic came from, in place of the source topic, partition and
	// offset: "http POST /v1/alerts line 3 token tok_...".
	HeaderSource = "killswitch-source"
)

// ConsumerConfig configures the Kafka source.
type ConsumerConfig struct {
	// Brokers are the bootstrap addresses. Required.
	Brokers []string
	// Topic is the alerts topic; default DefaultAlertsTopic.
	Topic string
	// GroupID is the consumer group; instances with the same group share
	// the partitions. Default DefaultGroupID.
	GroupID string
	// DLQTopic receives payloads that can never be processed; default
	// DefaultDLQTopic.
	DLQTopic string
	// Workers process messages in parallel; messages with the same key
	// (the same principal) always go to the same worker, in order.
	// Default 4.
	Workers int
	// CommitInterval is how often finished offsets are committed.
	// Default 200ms. A final commit is made on shutdown and before a
	// rebalance hands the partitions to another instance.
	CommitInterval time.Duration
	// ClientID names this instance to the brokers, so that readiness
	// finds it among the group's members. Default "killswitch-" and
	// 12 random characters, new per process.
	ClientID string
	// CommitEvery commits as soon as that many messages are finished
	// since the last commit, without waiting for CommitInterval. Default
	// 100.
	CommitEvery int
	// ShutdownGrace is how long, once asked to stop, the message being
	// processed may take to reach the outbox before it is abandoned (not
	// committed: it is delivered again). Default 30s.
	ShutdownGrace time.Duration
	// FetchMaxWait is how long a partition reader waits for a fetch to
	// answer. Default 1.5s. kafka-go gives up on the connection at
	// FetchMaxWait and asks the broker to hold an empty fetch 1s less
	// (a quarter less if FetchMaxWait is under 1s): that margin is all
	// a busy broker has to say "no data" in time, and missing it is an
	// i/o timeout, logged as a Kafka error and followed by a
	// reconnect. The former 250ms left 62ms, which a loaded machine
	// missed while idle. At 1.5s the broker holds an idle fetch 500ms
	// and has 1s to spare; longer would only make a rebalance or a
	// shutdown, which wait for the fetch in flight, slower. A message
	// is delivered as soon as it arrives, whatever this is.
	FetchMaxWait time.Duration
}

func (c ConsumerConfig) withDefaults() ConsumerConfig {
	if c.Topic == "" {
		c.Topic = DefaultAlertsTopic
	}
	if c.GroupID == "" {
		c.GroupID = DefaultGroupID
	}
	if c.DLQTopic == "" {
		c.DLQTopic = DefaultDLQTopic
	}
	if c.Workers <= 0 {
		c.Workers = 4
	}
	if c.CommitInterval <= 0 {
		c.CommitInterval = 200 * time.Millisecond
	}
	if c.ClientID == "" {
		c.ClientID = "killswitch-" + rand.Text()[:12]
	}
	if c.CommitEvery <= 0 {
		c.CommitEvery = 100
	}
	if c.ShutdownGrace <= 0 {
		c.ShutdownGrace = 30 * time.Second
	}
	if c.FetchMaxWait <= 0 {
		c.FetchMaxWait = 1500 * time.Millisecond
	}
	return c
}

// Validate names what is missing. An empty broker address is refused:
// the Kafka client would read it as localhost:9092.
func (c ConsumerConfig) Validate() error {
	if len(c.Brokers) == 0 {
		return errors.New("kafka: no brokers given")
	}
	for i, b := range c.Brokers {
		if strings.TrimSpace(b) == "" {
			return fmt.Errorf("kafka: broker address %d of %d is empty",
				i+1, len(c.Brokers))
		}
	}
	return nil
}

// Report is what happened to one message, for observers (the demo, tests).
type Report struct {
	Message Message
	Outcome Outcome
	// Poison is set when the message went to the dead-letter topic.
	Poison *PoisonError
	// Took is how long the last attempt at the message took, from
	// decoding it to its actions in the outbox (or its reason known,
	// for a poison message); the dead-letter write is not counted.
	Took time.Duration
}

// Consumer reads alerts from a Kafka topic in a consumer group and feeds
// them to the pipeline.
type Consumer struct {
	cfg   ConsumerConfig
	pipe  *Pipeline
	audit store.Audit
	exec  interface{ Wake() }
	log   *slog.Logger
	dlq   *kafka.Writer
	// current is the generation being consumed, nil between two.
	current atomic.Pointer[generation]
	// cut counts the messages being processed (started, not finished)
	// and those whose processing the end of the shutdown grace cut off.
	cut cutCount
	// commitErr is the last commit error logged, so that a broker that
	// stays down is reported once, not at every tick. Only the commit
	// loop of the one generation in progress touches it.
	commitErr string
	// OnReport, when set, is called after each message is finished.
	OnReport func(Report)
	// metrics is set by NewService; nil records nothing.
	metrics *Metrics
}

// NewConsumer builds a consumer. exec is woken after each message that
// planned actions; it may be nil.
func NewConsumer(cfg ConsumerConfig, pipe *Pipeline, audit store.Audit,
	exec interface{ Wake() }, log *slog.Logger) (*Consumer, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Consumer{cfg: cfg, pipe: pipe, audit: audit, exec: exec,
		log: log.With("component", "consumer"),
		dlq: &kafka.Writer{Addr: kafka.TCP(cfg.Brokers...), Topic: cfg.DLQTopic,
			RequiredAcks: kafka.RequireAll, BatchTimeout: 5 * time.Millisecond,
			AllowAutoTopicCreation: true},
	}, nil
}

// Run consumes until ctx is done. Then it stops fetching, hands back the
// messages not yet started (they are not committed, so they come again),
// gives the messages being processed ShutdownGrace to reach the outbox,
// commits what is finished and leaves the group. It returns an
// *AbandonedError when the grace ran out first. Kafka being unreachable
// is waited out, not returned.
func (c *Consumer) Run(ctx context.Context) error {
	hard, cancel := afterGrace(ctx, c.cfg.ShutdownGrace)
	defer cancel()
	cg, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
		ID: c.cfg.GroupID, Brokers: c.cfg.Brokers, Topics: []string{c.cfg.Topic},
		StartOffset: kafka.FirstOffset, JoinGroupBackoff: time.Second,
		ErrorLogger: kafkaLogger(c.log), Dialer: c.dialer(),
	})
	if err != nil {
		return fmt.Errorf("kafka consumer group %s: %w", c.cfg.GroupID, err)
	}
	defer c.dlq.Close()
	c.log.Info("consuming", "topic", c.cfg.Topic, "group", c.cfg.GroupID,
		"dlq_topic", c.cfg.DLQTopic, "workers", c.cfg.Workers)

	work := make([]chan job, c.cfg.Workers)
	var wg sync.WaitGroup
	for i := range work {
		work[i] = make(chan job, 64)
		wg.Add(1)
		go func() { defer wg.Done(); c.worker(work[i]) }()
	}
	for ctx.Err() == nil {
		gen, ok := c.nextGeneration(ctx, cg)
		if !ok {
			break
		}
		c.consume(ctx, hard, gen, work)
	}
	cg.Close()
	for _, ch := range work {
		close(ch)
	}
	waitAtMost(&wg, hard)
	if n := c.cut.abandoned(); n > 0 {
		return &AbandonedError{Messages: n, Grace: c.cfg.ShutdownGrace}
	}
	return nil
}

// dialer names this instance to the brokers on every connection.
func (c *Consumer) dialer() *kafka.Dialer {
	return &kafka.Dialer{ClientID: c.cfg.ClientID, Timeout: 10 * time.Second,
		DualStack: true}
}

// waitAtMost waits for wg, or until hard ends: work that ignores its
// context must not keep the process from exiting once the grace is over.
func waitAtMost(wg *sync.WaitGroup, hard context.Context) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-hard.Done():
	}
}

// cutCount counts messages in processing and those cut off by the end of
// the shutdown grace, under one lock so that a message moving from one
// to the other is never counted twice or not at all.
type cutCount struct {
	mu            sync.Mutex
	running, lost int
}

func (n *cutCount) start() {
	n.mu.Lock()
	n.running++
	n.mu.Unlock()
}

func (n *cutCount) end(cut bool) {
	n.mu.Lock()
	n.running--
	if cut {
		n.lost++
	}
	n.mu.Unlock()
}

// abandoned is how many messages were cut off or are still running.
func (n *cutCount) abandoned() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.running + n.lost
}

// AbandonedError says what a shutdown left unfinished when its grace ran
// out. Nothing is lost: abandoned messages are not committed and are
// delivered again; abandoned actions stay in the outbox.
type AbandonedError struct {
	Messages int
	Actions  int
	Grace    time.Duration
}

func (e *AbandonedError) Error() string {
	return fmt.Sprintf("shutdown grace of %s ran out: abandoned %d messages "+
		"(not committed, delivered again) and %d actions (back in the "+
		"outbox)", e.Grace, e.Messages, e.Actions)
}

// afterGrace returns a context that ends grace after ctx ends, or when
// cancelled.
func afterGrace(ctx context.Context, grace time.Duration) (context.Context,
	context.CancelFunc) {
	hard, cancel := context.WithCancel(context.WithoutCancel(ctx))
	go func() {
		select {
		case <-hard.Done():
			return
		case <-ctx.Done():
		}
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-hard.Done():
		case <-t.C:
			cancel()
		}
	}()
	return hard, cancel
}

// nextGeneration waits for this instance's next share of the partitions,
// or returns false once ctx is done. Failing to join (the broker is down,
// say) is retried: the group heals when asked again.
func (c *Consumer) nextGeneration(ctx context.Context,
	cg *kafka.ConsumerGroup) (*kafka.Generation, bool) {
	lastErr := ""
	for attempt := 0; ; attempt++ {
		gen, err := cg.Next(ctx)
		if ctx.Err() != nil {
			return nil, false
		}
		if err == nil {
			return gen, true
		}
		if err.Error() != lastErr {
			c.log.Warn("joining the consumer group will be retried",
				"group", c.cfg.GroupID, "err", err)
			lastErr = err.Error()
		}
		select {
		case <-ctx.Done():
			return nil, false
		case <-time.After(retryDelay(attempt)):
		}
	}
}

// fetch returns the next message, or false once ctx is done. A failed
// fetch (the partition leader is away) is retried with backoff.
func (c *Consumer) fetch(ctx context.Context, r *kafka.Reader) (kafka.Message, bool) {
	lastErr := ""
	for attempt := 0; ; attempt++ {
		m, err := r.FetchMessage(ctx)
		if ctx.Err() != nil {
			return m, false
		}
		if err == nil {
			return m, true
		}
		if err.Error() != lastErr {
			c.log.Warn("fetch will be retried", "topic", c.cfg.Topic, "err", err)
			lastErr = err.Error()
		}
		select {
		case <-ctx.Done():
			return m, false
		case <-time.After(retryDelay(attempt)):
		}
	}
}

// workerFor keeps one key (one principal) on one worker, so its messages
// are applied in order; unkeyed messages stay in partition order.
func (c *Consumer) workerFor(m Message) int {
	h := fnv.New32a()
	if len(m.Key) > 0 {
		h.Write(m.Key)
	} else {
		h.Write([]byte(strconv.Itoa(m.Partition)))
	}
	return int(h.Sum32() % uint32(c.cfg.Workers))
}

// worker processes the jobs of the keys hashed to it, one at a time. A
// job of a generation that ended (a rebalance revoked its partition, or
// the consumer is stopping) is dropped unprocessed: it is not committed,
// and whoever owns the partition now receives it again.
func (c *Consumer) worker(in <-chan job) {
	for j := range in {
		g := j.gen
		if g.handingBack() {
			g.busy.Done()
			continue
		}
		c.cut.start()
		err := c.handle(g.work, j.msg)
		if err == nil {
			g.finished(j.msg)
		}
		c.cut.end(err != nil && g.hard.Err() != nil)
		g.busy.Done()
	}
}

// handle processes one message until it is in the outbox or on the DLQ.
// Transient failures are retried with backoff; only shutdown stops it.
func (c *Consumer) handle(ctx context.Context, msg Message) error {
	log := c.log.With("partition", msg.Partition, "offset", msg.Offset)
	lastErr := ""
	for attempt := 0; ; attempt++ {
		err := c.handleOnce(ctx, msg, log)
		if err == nil || ctx.Err() != nil {
			return err
		}
		if err.Error() != lastErr {
			log.Warn("message will be retried", "attempt", attempt+1, "err", err)
			lastErr = err.Error()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(retryDelay(attempt)):
		}
	}
}

func (c *Consumer) handleOnce(ctx context.Context, msg Message, log *slog.Logger) error {
	start := time.Now()
	out, err := c.process(ctx, msg, log)
	took := time.Since(start)
	var poison *PoisonError
	if errors.As(err, &poison) {
		if err := c.deadLetter(ctx, msg, poison); err != nil {
			return err
		}
		log.Warn("message sent to dead-letter topic", "code", poison.Code,
			"reason", poison.Err.Error())
		c.report(Report{Message: msg, Outcome: out, Poison: poison,
			Took: took})
		return nil
	}
	if err != nil {
		return err
	}
	log.Debug("message processed", "signal_id", out.SignalID,
		"duplicate", out.Duplicate, "actions", len(out.Actions))
	if len(out.Actions) > 0 && !out.Duplicate && c.exec != nil {
		c.exec.Wake()
	}
	c.report(Report{Message: msg, Outcome: out, Took: took})
	return nil
}

// process runs the pipeline on one message. A panic becomes a poison
// message: left to crash the process, it would crash it again after
// every restart, since the message is delivered again.
func (c *Consumer) process(ctx context.Context, msg Message,
	log *slog.Logger) (out Outcome, err error) {
	defer func() {
		if v := recover(); v != nil {
			log.Error("processing panicked", "panic", v,
				"stack", string(debug.Stack()))
			err = &PoisonError{Code: CodeInternalError,
				Err: fmt.Errorf("panic: %v", v)}
		}
	}()
	return c.pipe.Process(ctx, msg.Value)
}

func (c *Consumer) report(r Report) {
	c.metrics.consumed(r)
	if c.OnReport != nil {
		c.OnReport(r)
	}
}

func retryDelay(attempt int) time.Duration {
	d := 100 * time.Millisecond << min(attempt, 6)
	return min(d, 5*time.Second)
}

// commitFailed logs a failed commit when its error differs from the last
// one logged.
func (c *Consumer) commitFailed(part int, off int64, err error) {
	if err.Error() == c.commitErr {
		return
	}
	c.commitErr = err.Error()
	c.log.Warn("commit offset will be retried", "partition", part,
		"offset", off, "err", err)
}

// Idle reports whether every fetched message is finished and committed.
func (c *Consumer) Idle() bool {
	g := c.current.Load()
	return g == nil || (g.offsets.Idle() && len(g.offsets.Pending()) == 0)
}

// kafkaRepeatWindow is how long kafkaLogger holds back a Kafka client
// error of the same kind after logging one.
const kafkaRepeatWindow = 30 * time.Second

// kafkaLogger logs the Kafka client's errors at Warn. During an outage
// the client reports every retry of every partition; the first of each
// kind (its format) is logged, the repeats within kafkaRepeatWindow are
// counted, and the next after the window is logged with that count.
func kafkaLogger(log *slog.Logger) kafka.LoggerFunc {
	return kafkaLoggerAt(log, time.Now)
}

func kafkaLoggerAt(log *slog.Logger, now func() time.Time) kafka.LoggerFunc {
	type seen struct {
		at       time.Time
		repeated int
	}
	var mu sync.Mutex
	kinds := map[string]*seen{}
	return func(msg string, args ...any) {
		mu.Lock()
		t := now()
		k, ok := kinds[msg]
		if ok && t.Sub(k.at) < kafkaRepeatWindow {
			k.repeated++
			mu.Unlock()
			return
		}
		repeated, since := 0, time.Time{}
		if ok {
			repeated, since = k.repeated, k.at
		}
		kinds[msg] = &seen{at: t}
		mu.Unlock()
		line := "kafka: " + fmt.Sprintf(msg, args...)
		if repeated > 0 {
			log.Warn(line, "repeated", repeated, "since",
				since.UTC().Format(time.RFC3339))
			return
		}
		log.Warn(line)
	}
}
