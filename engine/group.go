package engine

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"
)

// generation is this instance's share of the partitions between two
// rebalances: the messages fetched for it, which of them are finished,
// and what was committed. When it ends, its messages not yet started are
// dropped: another instance may own their partitions now.
type generation struct {
	gen *kafka.Generation
	// stop ends fetching: the consumer is stopping or the generation
	// ended. work bounds the processing of its messages: it ends with the
	// generation, or at the end of the shutdown grace (hard).
	stop, work, hard context.Context
	offsets          *offsetTracker
	// busy counts the messages handed to workers and not yet finished or
	// dropped.
	busy  sync.WaitGroup
	ended atomic.Bool
	// sinceCommit counts messages finished since the last commit; at
	// CommitEvery the commit loop is nudged.
	sinceCommit atomic.Int64
	every       int64
	nudge       chan struct{}
}

// job is one fetched message on its way to a worker.
type job struct {
	msg Message
	gen *generation
}

// handingBack reports whether the generation's messages not yet started
// are to be dropped rather than processed.
func (g *generation) handingBack() bool {
	return g.ended.Load() || g.stop.Err() != nil
}

// finished marks a message done and nudges a commit every so many.
func (g *generation) finished(m Message) {
	g.offsets.Done(m.Partition, m.Offset)
	if g.sinceCommit.Add(1) >= g.every {
		select {
		case g.nudge <- struct{}{}:
		default:
		}
	}
}

// consume works one generation: a reader per assigned partition feeds the
// workers, a loop commits what is finished. It returns once the
// generation ended (a rebalance, the broker gone) or ctx is done, after
// a last commit of what was finished; in the second case the generation
// is left open for Run to leave the group.
func (c *Consumer) consume(ctx, hard context.Context, gen *kafka.Generation,
	work []chan job) {
	committed := make(chan struct{})
	gen.Start(func(gctx context.Context) {
		g := c.newGeneration(ctx, hard, gctx, gen)
		c.current.Store(g)
		c.log.Info("partitions assigned", "generation", gen.ID,
			"partitions", assigned(gen, c.cfg.Topic))
		var readers sync.WaitGroup
		for _, p := range gen.Assignments[c.cfg.Topic] {
			readers.Add(1)
			go func() { defer readers.Done(); c.readPartition(g, p, work) }()
		}
		c.commitLoop(g)
		g.ended.Store(true)
		readers.Wait()
		waitAtMost(&g.busy, hard)
		c.commit(g)
		close(committed)
		// Stopping: stay in the generation until Run leaves the group,
		// or the group would rejoin as soon as this returns.
		<-gctx.Done()
	})
	<-committed
}

func (c *Consumer) newGeneration(ctx, hard, gctx context.Context,
	gen *kafka.Generation) *generation {
	g := &generation{gen: gen, hard: hard, offsets: newOffsetTracker(),
		every: int64(c.cfg.CommitEvery), nudge: make(chan struct{}, 1)}
	stop, cancelStop := context.WithCancel(ctx)
	context.AfterFunc(gctx, cancelStop)
	work, cancelWork := context.WithCancel(hard)
	context.AfterFunc(gctx, cancelWork)
	g.stop, g.work = stop, work
	return g
}

func assigned(gen *kafka.Generation, topic string) []int {
	var ids []int
	for _, p := range gen.Assignments[topic] {
		ids = append(ids, p.ID)
	}
	return ids
}

// readPartition fetches one partition from its committed offset and hands
// its messages to the workers until the generation stops.
func (c *Consumer) readPartition(g *generation, p kafka.PartitionAssignment,
	work []chan job) {
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: c.cfg.Brokers,
		Topic: c.cfg.Topic, Partition: p.ID, MaxWait: c.cfg.FetchMaxWait,
		ErrorLogger: kafkaLogger(c.log), Dialer: c.dialer()})
	defer r.Close()
	if err := r.SetOffset(p.Offset); err != nil {
		c.log.Error("set partition offset", "partition", p.ID,
			"offset", p.Offset, "err", err)
		return
	}
	for {
		m, ok := c.fetch(g.stop, r)
		if !ok {
			return
		}
		msg := Message{Topic: m.Topic, Partition: m.Partition,
			Offset: m.Offset, Key: m.Key, Value: m.Value, Time: m.Time}
		g.offsets.Add(msg.Partition, msg.Offset)
		g.busy.Add(1)
		select {
		case work[c.workerFor(msg)] <- job{msg: msg, gen: g}:
		case <-g.stop.Done():
			g.busy.Done()
			return
		}
	}
}

// commitLoop commits every CommitInterval, or sooner when CommitEvery
// messages are finished, until the generation stops.
func (c *Consumer) commitLoop(g *generation) {
	t := time.NewTicker(c.cfg.CommitInterval)
	defer t.Stop()
	for {
		select {
		case <-g.stop.Done():
			return
		case <-t.C:
		case <-g.nudge:
		}
		c.commit(g)
	}
}

// commit commits every partition's finished offset in the generation. A
// failed commit is retried at the next tick; redelivery is harmless
// (dedup). Offsets of the generation only: a partition it no longer owns
// is never committed, so a commit never moves back what its new owner
// committed.
func (c *Consumer) commit(g *generation) {
	// Reset the count before the snapshot: a message finished between
	// the two is then in the snapshot or counted towards the next
	// commit, never left out of both.
	g.sinceCommit.Store(0)
	pending := g.offsets.Pending()
	if len(pending) == 0 {
		return
	}
	next := map[int]int64{}
	for part, off := range pending {
		next[part] = off + 1 // Kafka stores the next offset to read
	}
	err := g.gen.CommitOffsets(map[string]map[int]int64{c.cfg.Topic: next})
	if err != nil {
		for part, off := range pending {
			c.commitFailed(part, off, err)
			break
		}
		return
	}
	for part, off := range pending {
		g.offsets.Committed(part, off)
	}
	c.commitErr = ""
}
