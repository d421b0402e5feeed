package engine

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/store"
)

// scrapeTimeout bounds what one scrape may wait for the store or Kafka.
const scrapeTimeout = 3 * time.Second

// outboxStates are the states of the actions that wait in the outbox.
var outboxStates = []string{store.ActionPending, store.ActionRunning,
	store.ActionAwaitingApproval}

// actionKinds are the kinds of the decision contract, reported at zero
// when the outbox holds none, so that an alert on the depth has a series.
var actionKinds = []string{rules.RevokeSessions, rules.RevokeCredential,
	rules.DisablePrincipal, rules.Lock, rules.Notify}

// outboxCollector reads the outbox depth from the store at each scrape.
type outboxCollector struct {
	stats store.Stats
	depth *prometheus.Desc
}

func newOutboxCollector(st store.Stats) *outboxCollector {
	return &outboxCollector{stats: st, depth: prometheus.NewDesc(
		"killswitch_outbox_depth",
		"Actions waiting in the outbox, by state (pending, running, "+
			"awaiting_approval) and kind; read from the store at each scrape.",
		[]string{"state", "kind"}, nil)}
}

// Describe implements prometheus.Collector.
func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.depth }

// Collect implements prometheus.Collector. A store that does not answer
// fails this family only; the scrape goes on.
func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	counts, err := c.stats.CountActions(ctx, outboxStates...)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.depth, err)
		return
	}
	depth := map[[2]string]int{}
	for _, st := range outboxStates {
		for _, kind := range actionKinds {
			depth[[2]string{st, kind}] = 0
		}
	}
	for _, n := range counts {
		depth[[2]string{n.State, n.Kind}] += n.Count
	}
	for k, n := range depth {
		ch <- prometheus.MustNewConstMetric(c.depth, prometheus.GaugeValue,
			float64(n), k[0], k[1])
	}
}

// lagCollector reads the consumer group's lag from the brokers at each
// scrape: per partition of the alerts topic, the end of the log less the
// group's committed offset (or less the start of the log when the group
// has committed nothing there). It is the lag of the whole group, so
// every instance reports the same, and it reads as the brokers do
// whatever state this instance's consumer is in.
type lagCollector struct {
	client *kafka.Client
	topic  string
	group  string
	lag    *prometheus.Desc
}

func newLagCollector(client *kafka.Client, topic, group string) *lagCollector {
	return &lagCollector{client: client, topic: topic, group: group,
		lag: prometheus.NewDesc("killswitch_consumer_lag",
			"Messages of the alerts topic not yet committed by the consumer "+
				"group, by partition; read from the brokers at each scrape.",
			[]string{"topic", "partition"}, nil)}
}

// Describe implements prometheus.Collector.
func (c *lagCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.lag }

// Collect implements prometheus.Collector. Brokers that do not answer
// fail this family only; the scrape goes on.
func (c *lagCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	lag, err := c.read(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.lag, err)
		return
	}
	for part, n := range lag {
		ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue,
			float64(n), c.topic, strconv.Itoa(part))
	}
}

// read returns the lag per partition.
func (c *lagCollector) read(ctx context.Context) (map[int]int64, error) {
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
				if start, err = c.offsets(ctx, parts, kafka.FirstOffsetOf); err != nil {
					return nil, err
				}
			}
			from = start[p]
		}
		lag[p] = max(end[p]-from, 0)
	}
	return lag, nil
}

func (c *lagCollector) partitions(ctx context.Context) ([]int, error) {
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
func (c *lagCollector) offsets(ctx context.Context, parts []int,
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
// has one.
func (c *lagCollector) committed(ctx context.Context,
	parts []int) (map[int]int64, error) {
	resp, err := c.client.OffsetFetch(ctx, &kafka.OffsetFetchRequest{
		GroupID: c.group, Topics: map[string][]int{c.topic: parts}})
	if err == nil {
		err = resp.Error
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
