package engine

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
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
	// Default 200ms. A final commit is made on shutdown.
	CommitInterval time.Duration
	// ClientID names this instance to the brokers, so that readiness
	// finds it among the group's members. Default "killswitch-" and
	// 12 random characters, new per process.
	ClientID string
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
}

// Consumer reads alerts from a Kafka topic in a consumer group and feeds
// them to the pipeline.
type Consumer struct {
	cfg     ConsumerConfig
	pipe    *Pipeline
	audit   store.Audit
	exec    interface{ Wake() }
	log     *slog.Logger
	tracker *offsetTracker
	dlq     *kafka.Writer
	// commitErr is the last commit error logged, so that a broker that
	// stays down is reported once, not at every tick.
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
		log: log.With("component", "consumer"), tracker: newOffsetTracker(),
		dlq: &kafka.Writer{Addr: kafka.TCP(cfg.Brokers...), Topic: cfg.DLQTopic,
			RequiredAcks: kafka.RequireAll, BatchTimeout: 5 * time.Millisecond,
			AllowAutoTopicCreation: true},
	}, nil
}

// Run consumes until ctx is done, then finishes the messages in hand,
// commits their offsets and returns. Kafka being unreachable is waited
// out, not returned.
func (c *Consumer) Run(ctx context.Context) error {
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers: c.cfg.Brokers, GroupID: c.cfg.GroupID, Topic: c.cfg.Topic,
		StartOffset: kafka.FirstOffset, MaxWait: 250 * time.Millisecond,
		ErrorLogger: kafkaLogger(c.log),
		Dialer: &kafka.Dialer{ClientID: c.cfg.ClientID,
			Timeout: 10 * time.Second, DualStack: true},
	})
	defer r.Close()
	defer c.dlq.Close()
	c.log.Info("consuming", "topic", c.cfg.Topic, "group", c.cfg.GroupID,
		"dlq_topic", c.cfg.DLQTopic, "workers", c.cfg.Workers)

	work := make([]chan Message, c.cfg.Workers)
	var wg sync.WaitGroup
	for i := range work {
		work[i] = make(chan Message, 64)
		wg.Add(1)
		go func() { defer wg.Done(); c.worker(ctx, work[i]) }()
	}
	commitDone := make(chan struct{})
	go func() { defer close(commitDone); c.commitLoop(ctx, r) }()

	c.fetchLoop(ctx, r, work)
	for _, ch := range work {
		close(ch)
	}
	wg.Wait()
	<-commitDone
	c.commit(context.WithoutCancel(ctx), r)
	return nil
}

// fetchLoop hands fetched messages to the workers until ctx is done.
func (c *Consumer) fetchLoop(ctx context.Context, r *kafka.Reader,
	work []chan Message) {
	for {
		m, ok := c.fetch(ctx, r)
		if !ok {
			return
		}
		msg := Message{Topic: m.Topic, Partition: m.Partition,
			Offset: m.Offset, Key: m.Key, Value: m.Value, Time: m.Time}
		c.tracker.Add(msg.Partition, msg.Offset)
		select {
		case work[c.workerFor(msg)] <- msg:
		case <-ctx.Done():
			return
		}
	}
}

// fetch returns the next message, or false once ctx is done. A failed
// fetch is retried with backoff: the client reports here that it gave up
// joining the group for now (the broker is down, say), and it heals when
// asked again; returning would leave the engine running but consuming
// nothing, for good.
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

func (c *Consumer) worker(ctx context.Context, in <-chan Message) {
	for msg := range in {
		if ctx.Err() != nil {
			continue // drain: unfinished offsets are not committed
		}
		if err := c.handle(ctx, msg); err != nil {
			continue
		}
		c.tracker.Done(msg.Partition, msg.Offset)
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
	out, err := c.process(ctx, msg, log)
	var poison *PoisonError
	if errors.As(err, &poison) {
		if err := c.deadLetter(ctx, msg, poison); err != nil {
			return err
		}
		log.Warn("message sent to dead-letter topic", "code", poison.Code,
			"reason", poison.Err.Error())
		c.report(Report{Message: msg, Outcome: out, Poison: poison})
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
	c.report(Report{Message: msg, Outcome: out})
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

// deadLetter publishes the payload to the DLQ with its reason in headers
// and audits it. The payload itself is not audited: it may hold a secret.
// A payload too large for the DLQ goes without its value, which stays at
// its source offset; retrying it whole would stop the partition for good.
func (c *Consumer) deadLetter(ctx context.Context, msg Message, p *PoisonError) error {
	dm := kafka.Message{Key: msg.Key, Value: msg.Value, Headers: []kafka.Header{
		{Key: HeaderErrorCode, Value: []byte(p.Code)},
		{Key: HeaderError, Value: []byte(p.Err.Error())},
		{Key: HeaderSourceTopic, Value: []byte(msg.Topic)},
		{Key: HeaderSourcePartition, Value: []byte(strconv.Itoa(msg.Partition))},
		{Key: HeaderSourceOffset, Value: []byte(strconv.FormatInt(msg.Offset, 10))},
	}}
	err := c.dlq.WriteMessages(ctx, dm)
	if tooLarge(err) {
		dm.Value = nil
		dm.Headers = append(dm.Headers, kafka.Header{Key: HeaderPayloadOmitted,
			Value: []byte(fmt.Sprintf("%d bytes, too large for %s",
				len(msg.Value), c.cfg.DLQTopic))})
		err = c.dlq.WriteMessages(ctx, dm)
	}
	if err != nil {
		return fmt.Errorf("write to dead-letter topic %s: %w", c.cfg.DLQTopic, err)
	}
	subject := fmt.Sprintf("kafka:%s/%d/%d", msg.Topic, msg.Partition, msg.Offset)
	return c.audit.AppendAudit(ctx, store.AuditEntry{Time: c.pipe.clock(),
		Actor: ActorEngine, Event: EventSignalDeadLetter, Subject: subject,
		Details: mustJSON(map[string]string{"code": p.Code,
			"reason": p.Err.Error(), "dlq_topic": c.cfg.DLQTopic})})
}

// tooLarge reports whether a write failed because a message is larger
// than the writer or the broker accepts.
func tooLarge(err error) bool {
	var each kafka.WriteErrors
	if errors.As(err, &each) {
		return slices.ContainsFunc(each, tooLarge)
	}
	return errors.Is(err, kafka.MessageSizeTooLarge)
}

func (c *Consumer) commitLoop(ctx context.Context, r *kafka.Reader) {
	t := time.NewTicker(c.cfg.CommitInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.commit(ctx, r)
		}
	}
}

// commit commits every partition's finished offset. A failed commit is
// retried at the next tick; redelivery is harmless (dedup). Only the
// commit loop calls it, and Run once that loop has ended.
func (c *Consumer) commit(ctx context.Context, r *kafka.Reader) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for part, off := range c.tracker.Pending() {
		err := r.CommitMessages(ctx, kafka.Message{Topic: c.cfg.Topic,
			Partition: part, Offset: off})
		if err != nil {
			c.commitFailed(part, off, err)
			continue
		}
		c.tracker.Committed(part, off)
		c.commitErr = ""
	}
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
	return c.tracker.Idle() && len(c.tracker.Pending()) == 0
}

func kafkaLogger(log *slog.Logger) kafka.LoggerFunc {
	return func(msg string, args ...any) {
		log.Warn("kafka: " + fmt.Sprintf(msg, args...))
	}
}
