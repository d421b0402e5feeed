package engine

import "sync"

// offsetTracker knows, per partition, which fetched offsets are finished,
// and so the highest offset that may be committed: the last of the
// unbroken run of finished offsets from the oldest in flight. A commit
// therefore never skips an unfinished message and never moves backwards.
type offsetTracker struct {
	mu    sync.Mutex
	parts map[int]*partitionOffsets
}

type partitionOffsets struct {
	inflight []inflightOffset // in fetch order, which is offset order
	// committable is the highest finished offset with nothing unfinished
	// before it, or -1.
	committable int64
	committed   int64
}

type inflightOffset struct {
	offset int64
	done   bool
}

func newOffsetTracker() *offsetTracker {
	return &offsetTracker{parts: map[int]*partitionOffsets{}}
}

// Add records a fetched offset. Offsets of one partition must be added in
// increasing order, as a consumer fetches them.
func (t *offsetTracker) Add(partition int, offset int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.parts[partition]
	if p == nil || offset <= p.last() {
		// New partition, or fetching restarted from an older offset after
		// a rebalance: what was in flight will be delivered again.
		p = &partitionOffsets{committable: offset - 1, committed: offset - 1}
		t.parts[partition] = p
	}
	p.inflight = append(p.inflight, inflightOffset{offset: offset})
}

// last is the newest offset seen: in flight, or else committable.
func (p *partitionOffsets) last() int64 {
	if n := len(p.inflight); n > 0 {
		return p.inflight[n-1].offset
	}
	return p.committable
}

// Done marks an offset finished.
func (t *offsetTracker) Done(partition int, offset int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.parts[partition]
	if p == nil {
		return
	}
	for i := range p.inflight {
		if p.inflight[i].offset == offset {
			p.inflight[i].done = true
			break
		}
	}
	for len(p.inflight) > 0 && p.inflight[0].done {
		p.committable = p.inflight[0].offset
		p.inflight = p.inflight[1:]
	}
}

// Pending returns, per partition, the offset to commit now: finished and
// newer than what was committed. Call Committed once it is committed.
func (t *offsetTracker) Pending() map[int]int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := map[int]int64{}
	for id, p := range t.parts {
		if p.committable > p.committed {
			out[id] = p.committable
		}
	}
	return out
}

// Committed records that offset was committed for a partition.
func (t *offsetTracker) Committed(partition int, offset int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if p := t.parts[partition]; p != nil && offset > p.committed {
		p.committed = offset
	}
}

// Idle reports whether no fetched message is unfinished.
func (t *offsetTracker) Idle() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, p := range t.parts {
		if len(p.inflight) > 0 {
			return false
		}
	}
	return true
}
