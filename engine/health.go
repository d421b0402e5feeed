package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
)

// healthTimeout bounds one readiness check.
const healthTimeout = 2 * time.Second

// Check is the readiness of one part of the engine.
type Check struct {
	// Part names the part: "store" or "consumer" here; callers add
	// their own (the policy set).
	Part string
	// Err says why the part is not ready; nil when it is. Its text
	// names files, addresses and groups, never a secret.
	Err error
}

// errNotRunning is the consumer's state outside Run.
var errNotRunning = errors.New("not consuming: the engine is starting or stopping")

// Ready checks the parts the engine needs to do its work, each on its
// own so that the answer names every part that is down:
//
//   - store: the store answers a read;
//   - consumer: the engine is in Run and this instance is a member of
//     its consumer group, as the group coordinator sees it.
func (s *Service) Ready(ctx context.Context) []Check {
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	return []Check{{Part: "store", Err: s.stats.Ping(ctx)},
		{Part: "consumer", Err: s.joined(ctx)}}
}

// joined reports whether the group coordinator lists this instance's
// client among the members of the consumer group.
func (s *Service) joined(ctx context.Context) error {
	if !s.running.Load() {
		return errNotRunning
	}
	cfg := s.Consumer.cfg
	resp, err := s.kafka.DescribeGroups(ctx, &kafka.DescribeGroupsRequest{
		GroupIDs: []string{cfg.GroupID}})
	if err != nil {
		return fmt.Errorf("describe consumer group %s: %w", cfg.GroupID, err)
	}
	for _, g := range resp.Groups {
		if g.Error != nil {
			return fmt.Errorf("describe consumer group %s: %w", g.GroupID, g.Error)
		}
		for _, m := range g.Members {
			if m.ClientID == cfg.ClientID {
				return nil
			}
		}
		return fmt.Errorf("not a member of consumer group %s yet "+
			"(group state %q, %d members)", g.GroupID, g.GroupState, len(g.Members))
	}
	return fmt.Errorf("describe consumer group %s: no answer", cfg.GroupID)
}
