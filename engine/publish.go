package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/killswitch-dev/killswitch/store"
)

// RevocationEvent tells enforcement points that a session, credential or
// principal is no longer valid. Events are published at least once; ID is
// stable across republishing so consumers can drop repeats.
type RevocationEvent struct {
	ID          string    `json:"id"`
	Type        string    `json:"type"` // session, credential, principal
	TargetID    string    `json:"target_id"`
	PrincipalID string    `json:"principal_id"`
	Provider    string    `json:"provider,omitempty"`
	ExternalID  string    `json:"external_id,omitempty"`
	At          time.Time `json:"at"`
	By          string    `json:"by"`
	Reason      string    `json:"reason"`
	SignalID    string    `json:"signal_id,omitempty"`
	ActionID    string    `json:"action_id,omitempty"`
}

// Publisher sends revocation events to enforcement points. Publish is
// called by the executor before an action is marked done; an error makes
// the executor retry the action, so events are delivered at least once.
type Publisher interface {
	Publish(ctx context.Context, events []RevocationEvent) error
}

// Publishers fans revocation events out to several publishers in turn.
// The first error stops it and goes back to the executor, which retries
// the action: each publisher then sees the events at least once, and
// those before the failing one see them again (with the same IDs).
type Publishers []Publisher

// Publish implements Publisher.
func (ps Publishers) Publish(ctx context.Context, events []RevocationEvent) error {
	for _, p := range ps {
		if err := p.Publish(ctx, events); err != nil {
			return err
		}
	}
	return nil
}

type discardPublisher struct{}

func (discardPublisher) Publish(context.Context, []RevocationEvent) error { return nil }

func (x *Executor) publish(ctx context.Context, a store.Action,
	events ...RevocationEvent) error {
	for i := range events {
		e := &events[i]
		e.ID = "rev_" + shortHash(a.ID+"|"+e.Type+":"+e.TargetID)
		e.At, e.By, e.Reason = x.clock(), actor(a), a.Reason
		e.SignalID, e.ActionID = a.SignalID, a.ID
	}
	if len(events) == 0 {
		return nil
	}
	if err := x.pub.Publish(ctx, events); err != nil {
		return fmt.Errorf("publish revocations: %w", err)
	}
	return nil
}

func (x *Executor) publishSessions(ctx context.Context, a store.Action,
	sessions []store.Session) error {
	events := make([]RevocationEvent, 0, len(sessions))
	for _, s := range sessions {
		events = append(events, RevocationEvent{Type: "session",
			TargetID: s.ID, PrincipalID: s.PrincipalID,
			Provider: s.Provider, ExternalID: s.ExternalID})
	}
	return x.publish(ctx, a, events...)
}

func (x *Executor) publishCredential(ctx context.Context, a store.Action,
	c store.Credential) error {
	return x.publish(ctx, a, RevocationEvent{Type: "credential",
		TargetID: c.ID, PrincipalID: c.PrincipalID, Provider: c.Store,
		ExternalID: c.ExternalID})
}

// KafkaPublisher publishes revocation events as JSON to a Kafka topic,
// keyed by principal so that one principal's events stay in order.
type KafkaPublisher struct {
	w *kafka.Writer
}

// NewKafkaPublisher writes to topic on the given brokers.
func NewKafkaPublisher(brokers []string, topic string) *KafkaPublisher {
	return &KafkaPublisher{w: &kafka.Writer{
		Addr: kafka.TCP(brokers...), Topic: topic,
		Balancer: &kafka.Hash{}, RequiredAcks: kafka.RequireAll,
		// WriteMessages waits this long for a batch to fill before it
		// sends; the executor publishes one action's events at a time
		// and waits for them, so a long wait caps it at 1/BatchTimeout
		// actions per second (10 ms made it 100/s).
		BatchTimeout: time.Millisecond,
		// A missing topic is created on first use where the cluster
		// allows it.
		AllowAutoTopicCreation: true,
	}}
}

// Publish implements Publisher.
func (p *KafkaPublisher) Publish(ctx context.Context, events []RevocationEvent) error {
	msgs := make([]kafka.Message, 0, len(events))
	for _, e := range events {
		v, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("encode revocation %s: %w", e.ID, err)
		}
		msgs = append(msgs, kafka.Message{Key: []byte(e.PrincipalID), Value: v})
	}
	return p.w.WriteMessages(ctx, msgs...)
}

// Close flushes and closes the writer.
func (p *KafkaPublisher) Close() error { return p.w.Close() }
