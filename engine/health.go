package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
)

// healthTimeout bounds one health check.
const healthTimeout = 2 * time.Second

// HealthError says which part of a running engine is down, and why. Its
// text never holds a secret: store and broker errors name files and
// addresses only.
type HealthError struct {
	// Component is "engine" (not running), "store" or "kafka".
	Component string
	Err       error
}

func (e *HealthError) Error() string { return e.Component + ": " + e.Err.Error() }

func (e *HealthError) Unwrap() error { return e.Err }

// errNotRunning is the health of a service that is not in Run.
var errNotRunning = errors.New("not consuming: the engine is starting or stopping")

// Health reports whether the engine can do its work: it is consuming
// (in Run), the store answers a read, and the brokers answer for the
// alerts topic. It returns a *HealthError naming the first part that is
// down.
func (s *Service) Health(ctx context.Context) error {
	if !s.running.Load() {
		return &HealthError{Component: "engine", Err: errNotRunning}
	}
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	if err := s.stats.Ping(ctx); err != nil {
		return &HealthError{Component: "store", Err: err}
	}
	md, err := s.kafka.Metadata(ctx, &kafka.MetadataRequest{
		Topics: []string{s.Consumer.cfg.Topic}})
	if err != nil {
		return &HealthError{Component: "kafka", Err: err}
	}
	for _, t := range md.Topics {
		if t.Error != nil {
			return &HealthError{Component: "kafka",
				Err: fmt.Errorf("topic %s: %w", t.Name, t.Error)}
		}
	}
	return nil
}
