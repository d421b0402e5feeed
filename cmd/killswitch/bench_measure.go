package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/killswitch-dev/killswitch/api/introspect"
	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/store"
)

// The runtime metrics bench reads: live heap, and what was allocated
// since the process started.
const (
	metricHeap        = "/memory/classes/heap/objects:bytes"
	metricAllocBytes  = "/gc/heap/allocs:bytes"
	metricAllocObject = "/gc/heap/allocs:objects"
)

// measure runs the engine over msgs and fills the throughput, latency,
// memory and store parts of rep.
func (b *benchRun) measure(ctx context.Context, msgs []kafka.Message,
	rep *benchReport) error {
	log, err := b.g.logger()
	if err != nil {
		return err
	}
	pol, err := loadPolicies(ctx, b.f.policies)
	if err != nil {
		return fmt.Errorf("load policies: %w", err)
	}
	rep.PolicyRevision = short(pol.Revision())
	conns, err := buildConnectors("", log)
	if err != nil {
		return err
	}
	svc, err := engine.NewService(b.cfg, b.store, pol, conns, systemClock, log)
	if err != nil {
		return err
	}
	svc.Consumer.OnReport = b.record
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- svc.Run(runCtx) }()

	runtime.GC()
	peak := startHeapSampler()
	before := readMetrics()
	start := time.Now()
	err = publish(ctx, b.broker.addrs, engine.DefaultAlertsTopic, msgs)
	if err == nil {
		err = b.waitIdle(ctx, svc, len(msgs))
	}
	idle := time.Now()
	after := readMetrics()
	rep.Memory.PeakHeapBytes = peak.stop()
	stop()
	if runErr := <-done; err == nil && runErr != nil && runErr != context.Canceled {
		err = runErr
	}
	if err != nil && err != errUnfinished {
		return err
	}
	b.fill(rep, start, idle, before, after)
	return b.fillStore(context.WithoutCancel(ctx), rep, start, idle)
}

// waitIdle waits until every message is reported, its offset committed,
// and no action is left to run, or for the timeout (errUnfinished).
func (b *benchRun) waitIdle(ctx context.Context, svc *engine.Service, n int) error {
	for {
		if b.finished() >= n && svc.Consumer.Idle() && b.outboxEmpty(ctx) {
			return nil
		}
		select {
		case <-ctx.Done():
			return errUnfinished
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func (b *benchRun) outboxEmpty(ctx context.Context) bool {
	for _, s := range []string{store.ActionPending, store.ActionRunning} {
		acts, err := b.store.ListActions(ctx, store.ActionFilter{State: s, Limit: 1})
		if err != nil || len(acts) > 0 {
			return false
		}
	}
	return true
}

// fill sets the alert counts, throughput, latency and allocations.
func (b *benchRun) fill(rep *benchReport, start, idle time.Time,
	before, after [3]uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	r := &rep.Result
	r.Decided, r.DeadLettered, r.Deduplicated = len(b.lat), b.dead, b.dups
	r.Unprocessed = rep.Alerts - len(b.seen)
	if !b.lastEnd.IsZero() {
		r.DecideSeconds = b.lastEnd.Sub(start).Seconds()
		r.AlertsPerSecond = float64(len(b.seen)) / r.DecideSeconds
	}
	r.IdleSeconds = idle.Sub(start).Seconds()
	rep.Latency = latencies(b.lat)
	n := float64(rep.Alerts)
	rep.Memory.AllocBytesPerAlert = float64(after[1]-before[1]) / n
	rep.Memory.AllocsPerAlert = float64(after[2]-before[2]) / n
}

// fillStore counts the actions by state and measures the store files.
func (b *benchRun) fillStore(ctx context.Context, rep *benchReport,
	start, idle time.Time) error {
	rep.Actions.ByState = map[string]int{}
	for _, s := range []string{store.ActionPending, store.ActionRunning,
		store.ActionAwaitingApproval, store.ActionDone, store.ActionFailed,
		store.ActionSkipped} {
		acts, err := b.store.ListActions(ctx, store.ActionFilter{State: s})
		if err != nil {
			return err
		}
		if len(acts) > 0 {
			rep.Actions.ByState[s] = len(acts)
		}
	}
	executed := rep.Actions.ByState[store.ActionDone] +
		rep.Actions.ByState[store.ActionFailed]
	rep.Actions.Executed = executed
	if secs := idle.Sub(start).Seconds(); secs > 0 {
		rep.Actions.PerSecond = float64(executed) / secs
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if fi, err := os.Stat(b.g.storePath + suffix); err == nil {
			rep.StoreBytes += fi.Size()
		}
	}
	return nil
}

// readMetrics reads the live heap, bytes allocated and objects
// allocated.
func readMetrics() [3]uint64 {
	s := []metrics.Sample{{Name: metricHeap}, {Name: metricAllocBytes},
		{Name: metricAllocObject}}
	metrics.Read(s)
	var out [3]uint64
	for i := range s {
		if s[i].Value.Kind() == metrics.KindUint64 {
			out[i] = s[i].Value.Uint64()
		}
	}
	return out
}

// heapSampler keeps the largest live heap seen every few milliseconds.
type heapSampler struct {
	peak atomic.Uint64
	quit chan struct{}
	wg   sync.WaitGroup
}

func startHeapSampler() *heapSampler {
	h := &heapSampler{quit: make(chan struct{})}
	h.wg.Go(func() {
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			if v := readMetrics()[0]; v > h.peak.Load() {
				h.peak.Store(v)
			}
			select {
			case <-h.quit:
				return
			case <-t.C:
			}
		}
	})
	return h
}

func (h *heapSampler) stop() uint64 {
	close(h.quit)
	h.wg.Wait()
	return h.peak.Load()
}

// lookups measures introspection answers from an Index loaded from the
// registry: by session id, on one goroutine and on every core.
func (b *benchRun) lookups(ctx context.Context, rep *benchReport) error {
	log, err := b.g.logger()
	if err != nil {
		return err
	}
	x := introspect.New(b.store, introspect.Config{Forget: -1}, systemClock, log)
	if err := x.Refresh(ctx); err != nil {
		return fmt.Errorf("load introspection index: %w", err)
	}
	ses, err := b.store.ListSessions(ctx, store.SessionFilter{})
	if err != nil {
		return err
	}
	ids := make([]string, len(ses))
	for i, s := range ses {
		ids[i] = s.ID
	}
	if len(ids) == 0 {
		return nil
	}
	l := &rep.Lookups
	l.Sessions = len(ids)
	l.OneGoroutine, err = lookupRate(x, ids, 1, b.f.lookupTime)
	if err == nil {
		l.Goroutines = runtime.GOMAXPROCS(0)
		l.AllCores, err = lookupRate(x, ids, l.Goroutines, b.f.lookupTime)
	}
	return err
}

// lookupRate is how many session lookups per second n goroutines make
// together for d; every answer must be known.
func lookupRate(x *introspect.Index, ids []string, n int,
	d time.Duration) (float64, error) {
	var total atomic.Int64
	errs := make(chan error, n)
	var wg sync.WaitGroup
	start := time.Now()
	for g := range n {
		wg.Go(func() {
			count := 0
			for i := g; time.Since(start) < d; i++ {
				for j := range 256 {
					id := ids[(i*256+j)%len(ids)]
					a, err := x.Session(id)
					if err == nil && a.Reason == introspect.ReasonUnknown {
						err = fmt.Errorf("session %s is unknown", id)
					}
					if err != nil {
						errs <- err
						return
					}
				}
				count += 256
			}
			total.Add(int64(count))
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return 0, fmt.Errorf("introspection lookup: %w", err)
	}
	return float64(total.Load()) / time.Since(start).Seconds(), nil
}
