package engine

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/store"
)

// scrapeTimeout bounds what one scrape may wait for the store or Kafka.
const scrapeTimeout = 3 * time.Second

// DefaultGaugeTTL is how long a scrape reuses the outbox depth and the
// consumer lag that an earlier scrape read.
const DefaultGaugeTTL = 5 * time.Second

// outboxStates are the states counted in the outbox depth: the actions
// that wait to run, run, wait for an operator, or failed for good.
var outboxStates = []string{store.ActionPending, store.ActionRunning,
	store.ActionAwaitingApproval, store.ActionFailed}

// actionKinds are the kinds of the decision contract, reported at zero
// when the outbox holds none, so that an alert on the depth has a series.
// Any other kind a store holds is reported as "other".
var actionKinds = []string{rules.RevokeSessions, rules.RevokeCredential,
	rules.DisablePrincipal, rules.Lock, rules.Notify}

// cached holds the last value a read returned, errors included, for ttl,
// so that scrapes in quick succession (two Prometheus servers, a
// dashboard) cost the store and the brokers one read. Reads do not
// overlap: a scrape that comes while one is reading waits for it.
type cached[T any] struct {
	ttl  time.Duration
	read func(context.Context) (T, error)

	mu  sync.Mutex
	at  time.Time
	val T
	err error
}

func (c *cached[T]) get() (T, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at.IsZero() || time.Since(c.at) >= c.ttl {
		ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
		defer cancel()
		c.val, c.err = c.read(ctx)
		c.at = time.Now()
	}
	return c.val, c.err
}

// outboxCollector reports the outbox depth from one grouped count.
type outboxCollector struct {
	counts *cached[[]store.ActionCount]
	depth  *prometheus.Desc
}

func newOutboxCollector(st store.Stats, ttl time.Duration) *outboxCollector {
	return &outboxCollector{
		counts: &cached[[]store.ActionCount]{ttl: ttl,
			read: func(ctx context.Context) ([]store.ActionCount, error) {
				return st.CountActions(ctx, outboxStates...)
			}},
		depth: prometheus.NewDesc("killswitch_outbox_depth",
			"Actions in the outbox by state (pending, running, "+
				"awaiting_approval, failed) and kind.",
			[]string{"state", "kind"}, nil)}
}

// Describe implements prometheus.Collector.
func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.depth }

// Collect implements prometheus.Collector. A store that does not answer
// fails this family only; the scrape goes on.
func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	counts, err := c.counts.get()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.depth,
			fmt.Errorf("outbox depth: %w", err))
		return
	}
	for k, n := range outboxDepth(counts) {
		ch <- prometheus.MustNewConstMetric(c.depth, prometheus.GaugeValue,
			float64(n), k[0], k[1])
	}
}

// outboxDepth is every state and known kind, at zero unless counted;
// kinds outside the contract add up under "other".
func outboxDepth(counts []store.ActionCount) map[[2]string]int {
	depth := map[[2]string]int{}
	for _, st := range outboxStates {
		for _, kind := range actionKinds {
			depth[[2]string{st, kind}] = 0
		}
	}
	for _, n := range counts {
		k := [2]string{n.State, n.Kind}
		if _, known := depth[k]; !known {
			k[1] = labelOther
		}
		depth[k] += n.Count
	}
	return depth
}

// lagCollector reports the consumer group's lag, read from the brokers:
// per partition of the alerts topic, the end of the log less the group's
// committed offset (or less the start of the log when the group has
// committed nothing there). It is the lag of the whole group, so every
// instance reports the same, whatever state its own consumer is in.
type lagCollector struct {
	lags  *cached[map[int]int64]
	topic string
	lag   *prometheus.Desc
}

func newLagCollector(client *kafka.Client, topic, group string,
	ttl time.Duration) *lagCollector {
	r := &lagReader{client: client, topic: topic, group: group}
	return &lagCollector{topic: topic,
		lags: &cached[map[int]int64]{ttl: ttl, read: r.read},
		lag: prometheus.NewDesc("killswitch_consumer_lag",
			"Messages of the alerts topic the consumer group has not "+
				"committed yet, by partition.",
			[]string{"topic", "partition"}, nil)}
}

// Describe implements prometheus.Collector.
func (c *lagCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.lag }

// Collect implements prometheus.Collector. Brokers that do not answer
// fail this family only; the scrape goes on.
func (c *lagCollector) Collect(ch chan<- prometheus.Metric) {
	lag, err := c.lags.get()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.lag, err)
		return
	}
	for part, n := range lag {
		ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue,
			float64(n), c.topic, strconv.Itoa(part))
	}
}

// lagReader asks the brokers for the lag of a group on a topic.
type lagReader struct {
	client *kafka.Client
	topic  string
	group  string
}

// read returns the lag per partition.
func (c *lagReader) read(ctx context.Context) (map[int]int64, error) {
	parts, err := c.partitions(ctx)
	if err != nil {
		return nil, err
	}
	end, err := c.offsets(ctx, parts, kafka.LastOffsetOf)
	if err != nil {
		return nil, err
	}
	committed, err := c.committed(ctx, parts)
	if err != nil {
		return nil, err
	}
	var start map[int]int64
	lag := make(map[int]int64, len(parts))
	for _, p := range parts {
		from, ok := committed[p]
		if !ok {
			if start == nil {
				start, err = c.offsets(ctx, parts, kafka.FirstOffsetOf)
				if err != nil {
					return nil, err
				}
			}
			from = start[p]
		}
		lag[p] = max(end[p]-from, 0)
	}
	return lag, nil
}

func (c *lagReader) partitions(ctx context.Context) ([]int, error) {
	md, err := c.client.Metadata(ctx, &kafka.MetadataRequest{
		Topics: []string{c.topic}})
	if err != nil {
		return nil, fmt.Errorf("consumer lag: metadata of %s: %w", c.topic, err)
	}
	for _, t := range md.Topics {
		if t.Name != c.topic {
			continue
		}
		if t.Error != nil {
			return nil, fmt.Errorf("consumer lag: topic %s: %w", c.topic, t.Error)
		}
		parts := make([]int, 0, len(t.Partitions))
		for _, p := range t.Partitions {
			parts = append(parts, p.ID)
		}
		return parts, nil
	}
	return nil, fmt.Errorf("consumer lag: no topic %s", c.topic)
}

// offsets lists one end of each partition's log. kafka-go files the
// answer to a single-ended request under either field, so the one that
// was set is taken.
func (c *lagReader) offsets(ctx context.Context, parts []int,
	which func(int) kafka.OffsetRequest) (map[int]int64, error) {
	reqs := make([]kafka.OffsetRequest, len(parts))
	for i, p := range parts {
		reqs[i] = which(p)
	}
	resp, err := c.client.ListOffsets(ctx, &kafka.ListOffsetsRequest{
		Topics: map[string][]kafka.OffsetRequest{c.topic: reqs}})
	if err != nil {
		return nil, fmt.Errorf("consumer lag: offsets of %s: %w", c.topic, err)
	}
	out := map[int]int64{}
	for _, p := range resp.Topics[c.topic] {
		if p.Error != nil {
			return nil, fmt.Errorf("consumer lag: offsets of %s/%d: %w",
				c.topic, p.Partition, p.Error)
		}
		out[p.Partition] = max(p.FirstOffset, p.LastOffset)
	}
	return out, nil
}

// committed returns the group's committed offset of each partition that
// has one. A group the brokers do not know has committed nothing.
func (c *lagReader) committed(ctx context.Context,
	parts []int) (map[int]int64, error) {
	resp, err := c.client.OffsetFetch(ctx, &kafka.OffsetFetchRequest{
		GroupID: c.group, Topics: map[string][]int{c.topic: parts}})
	if err == nil {
		err = resp.Error
	}
	if errors.Is(err, kafka.GroupIdNotFound) {
		return map[int]int64{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("consumer lag: offsets of group %s: %w",
			c.group, err)
	}
	out := map[int]int64{}
	for _, p := range resp.Topics[c.topic] {
		if p.Error != nil {
			return nil, fmt.Errorf("consumer lag: offset of group %s on "+
				"%s/%d: %w", c.group, c.topic, p.Partition, p.Error)
		}
		if p.CommittedOffset >= 0 {
			out[p.Partition] = p.CommittedOffset
		}
	}
	return out, nil
}
