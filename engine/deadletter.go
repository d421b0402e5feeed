package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/segmentio/kafka-go"

	"github.com/killswitch-dev/killswitch/store"
)

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
