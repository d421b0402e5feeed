package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/spf13/cobra"

	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/signals"
)

func newSendCmd(g *globals) *cobra.Command {
	var brokers, topic, mappingsPath string
	cmd := &cobra.Command{
		Use:   "send FILE...",
		Short: "Publish alert payloads to the alerts topic",
		Long: "send publishes each file as one message, keyed by the " +
			"principal the alert names so that one principal's alerts stay " +
			"in order. A payload that does not decode is sent anyway (the " +
			"engine dead-letters it) and reported here.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			list, err := brokerList(brokers)
			if err != nil {
				return err
			}
			mappings, err := loadSignalMappings(mappingsPath)
			if err != nil {
				return err
			}
			msgs, err := readPayloads(g, args, mappings, nil)
			if err != nil {
				return err
			}
			err = publish(cmd.Context(), list, topic, msgs)
			if err != nil {
				return err
			}
			fmt.Fprintf(g.out, "sent %d message(s) to %s\n", len(msgs), topic)
			return nil
		},
	}
	cmd.Flags().StringVar(&brokers, "kafka-brokers", "127.0.0.1:9092",
		"comma-separated Kafka bootstrap brokers")
	cmd.Flags().StringVar(&topic, "topic", engine.DefaultAlertsTopic, "alerts topic")
	addSignalMappingsFlag(cmd.Flags(), &mappingsPath)
	return cmd
}

// readPayloads reads each file as one message, keyed by what it decodes
// to with the mappings m (nil: the built-in decoders only). A file that
// does not decode is sent with a warning, unless malformed says it is
// meant not to (nil: none is).
func readPayloads(g *globals, files []string, m *signals.Mappings,
	malformed func(file string) bool) ([]kafka.Message, error) {
	msgs := make([]kafka.Message, 0, len(files))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		sig, err := m.Decode(b)
		if err != nil && (malformed == nil || !malformed(f)) {
			fmt.Fprintf(g.errOut, "warning: %s: %v (sending anyway)\n", f, err)
		}
		msgs = append(msgs, kafka.Message{Key: []byte(engine.PartitionKey(sig)), Value: b})
	}
	return msgs, nil
}

// publish writes messages with a real Kafka client, waiting for every
// replica's acknowledgement.
func publish(ctx context.Context, brokers []string, topic string,
	msgs []kafka.Message) error {
	w := &kafka.Writer{Addr: kafka.TCP(brokers...), Topic: topic,
		Balancer: &kafka.Hash{}, RequiredAcks: kafka.RequireAll,
		BatchTimeout: 5 * time.Millisecond}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		w.Close()
		if errors.Is(err, syscall.ECONNREFUSED) {
			err = fmt.Errorf("%w (nothing listens there: start "+
				"`killswitch run`, whose embedded broker listens on "+
				"127.0.0.1:9092 or its --embedded-broker-port, or give "+
				"--kafka-brokers the cluster's brokers)", err)
		}
		return fmt.Errorf("publish to %s on %s: %w", topic, strings.Join(brokers, ","), err)
	}
	return w.Close()
}
