// Package ingest takes alerts that arrive over HTTP to the alerts topic
// the engine consumes. Each alert is decoded first: those that decode
// are published as `killswitch send` publishes them (keyed by
// engine.PartitionKey, so that one principal's alerts stay in order,
// and acknowledged by every replica), and those that do not are
// dead-lettered with the reason, as the engine dead-letters a Kafka
// message it cannot decode, so that nothing sent is lost. The API's
// POST /v1/alerts and its Security Event Token receiver use it.
//
// Publishing is at least once: an alert whose acknowledgement did not
// come in time may be on the topic all the same, and the sender sends it
// again. The engine acts once on an alert however often it arrives (its
// dedup key), so that is safe.
package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/store"
)

// Config is where alerts go and how long Kafka may take to take them.
type Config struct {
	// Brokers are the Kafka bootstrap addresses; required.
	Brokers []string
	// Topic is the alerts topic the engine consumes; default
	// engine.DefaultAlertsTopic.
	Topic string
	// DLQTopic receives the alerts that do not decode; default
	// engine.DefaultDLQTopic.
	DLQTopic string
	// Timeout bounds the wait for Kafka to acknowledge one request's
	// alerts; past it Ingest fails with ErrUnavailable. Default 10s.
	Timeout time.Duration
	// Registerer gets the metrics (see Metrics); nil records none.
	Registerer prometheus.Registerer
	// Decoder decodes each alert, as the engine does (its
	// ServiceConfig.Decoder: a mapping file's mappings, say); nil uses
	// signals.Decode.
	Decoder engine.PayloadDecoder
}

func (c Config) withDefaults() Config {
	if c.Topic == "" {
		c.Topic = engine.DefaultAlertsTopic
	}
	if c.DLQTopic == "" {
		c.DLQTopic = engine.DefaultDLQTopic
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	return c
}

// ErrUnavailable is Kafka not acknowledging alerts in time. None of the
// request's alerts may be taken as published (some may be): the sender
// sends them again later.
var ErrUnavailable = errors.New("kafka did not acknowledge the alerts")

// TooLargeError is an alert larger than its topic takes.
type TooLargeError struct {
	// Line is the alert's line in its request.
	Line  int
	Bytes int
	Topic string
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("the alert on line %d (%d bytes) is larger than "+
		"topic %s takes: its max.message.bytes (1 MiB unless the cluster "+
		"sets another) counts the alert with its key and about 100 bytes "+
		"of framing; trim the alert or raise the topic's limit",
		e.Line, e.Bytes, e.Topic)
}

// Source is where a request's alerts came from, for the dead-letter
// headers and the audit: never a secret.
type Source struct {
	// Route is the method and path ("POST /v1/alerts").
	Route string
	// Actor names the caller as the audit trail does.
	Actor string
	// TokenID is the id of the caller's API token.
	TokenID string
}

// Ingester publishes alerts and dead-letters those that do not decode.
// Its methods may be called concurrently.
type Ingester struct {
	cfg     Config
	alerts  *kafka.Writer
	dlq     *kafka.Writer
	audit   store.Audit
	now     func() time.Time
	metrics *Metrics
}

// New builds an Ingester over cfg's brokers that audits dead letters in
// audit at the times now gives.
func New(cfg Config, audit store.Audit, now func() time.Time) (*Ingester, error) {
	cfg = cfg.withDefaults()
	err := engine.ConsumerConfig{Brokers: cfg.Brokers}.Validate()
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	m, err := NewMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	return &Ingester{cfg: cfg, audit: audit, now: now, metrics: m,
		alerts: writer(cfg.Brokers, cfg.Topic),
		dlq:    writer(cfg.Brokers, cfg.DLQTopic)}, nil
}

// writer publishes to topic, acknowledged by every replica. Requests
// wait for their alerts, so a batch waits at most a millisecond to fill;
// concurrent requests still share batches.
func writer(brokers []string, topic string) *kafka.Writer {
	return &kafka.Writer{Addr: kafka.TCP(brokers...), Topic: topic,
		Balancer: &kafka.Hash{}, RequiredAcks: kafka.RequireAll,
		BatchTimeout: time.Millisecond, AllowAutoTopicCreation: true}
}

// Decode decodes payload, found at line of its request, with the
// configured Decoder.
func (in *Ingester) Decode(line int, payload []byte) Alert {
	return decodeWith(in.cfg.Decoder, line, payload)
}

// Split is the package's Split with the configured Decoder.
func (in *Ingester) Split(body []byte) []Alert {
	return splitWith(in.cfg.Decoder, body)
}

// Metrics are what the ingester counts; nil counts nothing.
func (in *Ingester) Metrics() *Metrics { return in.metrics }

// Close flushes and closes the Kafka writers.
func (in *Ingester) Close() error {
	return errors.Join(in.alerts.Close(), in.dlq.Close())
}

// Ingest dead-letters the alerts that did not decode, then publishes
// those that did, in order, and returns once Kafka acknowledged all of
// them. It fails with an error wrapping ErrUnavailable when Kafka did
// not acknowledge within Config.Timeout, and with a *TooLargeError for
// an alert the alerts topic does not take. route labels the metrics
// ("alerts", "ssf").
func (in *Ingester) Ingest(ctx context.Context, route string, src Source,
	alerts []Alert) error {
	ctx, cancel := context.WithTimeout(ctx, in.cfg.Timeout)
	defer cancel()
	var good, bad []Alert
	for _, a := range alerts {
		if a.Err == nil {
			good = append(good, a)
		} else {
			bad = append(bad, a)
		}
	}
	if err := in.deadLetter(ctx, src, bad); err != nil {
		in.metrics.rejected(route, ReasonUnavailable, len(alerts))
		return err
	}
	if err := in.publish(ctx, good); err != nil {
		in.metrics.rejected(route, rejectReason(err), len(good))
		return err
	}
	for _, a := range alerts {
		if a.Err != nil {
			in.metrics.rejected(route, a.Reason(), 1)
		} else {
			in.metrics.accepted(route, a.Signal.Format)
		}
	}
	return nil
}

// publish writes the alerts to the alerts topic, keyed by principal.
func (in *Ingester) publish(ctx context.Context, alerts []Alert) error {
	if len(alerts) == 0 {
		return nil
	}
	msgs := make([]kafka.Message, len(alerts))
	for i, a := range alerts {
		msgs[i] = kafka.Message{Key: []byte(engine.PartitionKey(a.Signal)),
			Value: a.Payload}
	}
	err := in.alerts.WriteMessages(ctx, msgs...)
	if err == nil {
		return nil
	}
	if i := tooLargeAt(err, msgs); i >= 0 {
		return &TooLargeError{Line: alerts[i].Line,
			Bytes: len(alerts[i].Payload), Topic: in.cfg.Topic}
	}
	return fmt.Errorf("publish %d alert(s) to %s: %w: %w", len(alerts),
		in.cfg.Topic, ErrUnavailable, err)
}

// deadLetter writes the alerts that did not decode to the dead-letter
// topic with their reasons, in one write however many there are (one
// write each took a request of thousands past its timeout), and audits
// them. The payloads are not audited: they may hold secrets.
func (in *Ingester) deadLetter(ctx context.Context, src Source,
	alerts []Alert) error {
	if len(alerts) == 0 {
		return nil
	}
	msgs := make([]kafka.Message, len(alerts))
	entries := make([]store.AuditEntry, len(alerts))
	for i, a := range alerts {
		where := src.Route + " line " + strconv.Itoa(a.Line)
		msgs[i] = kafka.Message{Value: a.Payload, Headers: []kafka.Header{
			{Key: engine.HeaderErrorCode, Value: []byte(engine.CodeDecodeError)},
			{Key: engine.HeaderError, Value: []byte(a.Err.Error())},
			{Key: engine.HeaderSource, Value: []byte("http " + where +
				" token " + src.TokenID)},
		}}
		entries[i] = store.AuditEntry{Time: in.now(), Actor: src.Actor,
			Event:   engine.EventSignalDeadLetter,
			Subject: "http:" + strings.TrimPrefix(where, "POST "),
			Details: auditDetails(engine.CodeDecodeError, a.Err.Error(),
				in.cfg.DLQTopic)}
	}
	if err := in.writeDeadLetters(ctx, msgs); err != nil {
		return fmt.Errorf("dead-letter %d alert(s) to %s: %w: %w",
			len(alerts), in.cfg.DLQTopic, ErrUnavailable, err)
	}
	return in.audit.AppendAudit(context.WithoutCancel(ctx), entries...)
}

// writeDeadLetters writes msgs to the dead-letter topic; one too large
// for it goes without its value, saying so. A batch the broker refused
// as too large is written again one message at a time, so that only
// the one at fault loses its value; the others of the write are not
// written twice.
func (in *Ingester) writeDeadLetters(ctx context.Context,
	msgs []kafka.Message) error {
	err := in.writeDLQ(ctx, msgs...)
	var each kafka.WriteErrors
	if !errors.As(err, &each) || len(each) != len(msgs) {
		return err
	}
	for i, e := range each {
		switch {
		case e == nil:
		case !errors.Is(e, kafka.MessageSizeTooLarge):
			return err
		default:
			if err := in.writeDeadLetter(ctx, msgs[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeDeadLetter writes m alone, without its value if the broker
// refuses it as too large.
func (in *Ingester) writeDeadLetter(ctx context.Context, m kafka.Message) error {
	err := in.writeDLQ(ctx, m)
	if tooLargeAt(err, []kafka.Message{m}) < 0 {
		return err
	}
	return in.writeDLQ(ctx, withoutValue(m, in.cfg.DLQTopic))
}

// writeDLQ writes msgs to the dead-letter topic; one larger than the
// writer sends (it sends none of them then) goes without its value.
func (in *Ingester) writeDLQ(ctx context.Context, msgs ...kafka.Message) error {
	for {
		err := in.dlq.WriteMessages(ctx, msgs...)
		var one kafka.MessageTooLargeError
		if !errors.As(err, &one) {
			return err
		}
		i := tooLargeAt(err, msgs)
		if msgs[i].Value == nil {
			return err
		}
		msgs[i] = withoutValue(msgs[i], in.cfg.DLQTopic)
	}
}

// withoutValue is m with its value left out, and a header saying how
// large it was.
func withoutValue(m kafka.Message, topic string) kafka.Message {
	h := append([]kafka.Header(nil), m.Headers...)
	m.Headers = append(h, kafka.Header{Key: engine.HeaderPayloadOmitted,
		Value: []byte(fmt.Sprintf("%d bytes, too large for %s",
			len(m.Value), topic))})
	m.Value = nil
	return m
}

// tooLargeAt is the index among msgs of the first message a write
// refused as too large (the writer, before sending, or the broker), -1
// when none was.
func tooLargeAt(err error, msgs []kafka.Message) int {
	var each kafka.WriteErrors
	if errors.As(err, &each) {
		for i, e := range each {
			if errors.Is(e, kafka.MessageSizeTooLarge) {
				return i
			}
		}
		return -1
	}
	var one kafka.MessageTooLargeError
	if !errors.As(err, &one) {
		return -1
	}
	for i, m := range msgs {
		if bytes.Equal(m.Value, one.Message.Value) {
			return i
		}
	}
	return 0
}

// auditDetails are the details of a dead-letter audit entry, as the
// engine writes them for a Kafka message.
func auditDetails(code, reason, topic string) json.RawMessage {
	b, _ := json.Marshal(map[string]string{"code": code,
		"reason": reason, "dlq_topic": topic})
	return b
}

// rejectReason is the metric reason of a failed publish.
func rejectReason(err error) string {
	var tl *TooLargeError
	if errors.As(err, &tl) {
		return ReasonTooLarge
	}
	return ReasonUnavailable
}
