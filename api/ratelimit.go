package api

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// failureLimiter counts failed authentications per client address. An
// address that failed more than burst times recently is refused until
// its allowance refills at every.
type failureLimiter struct {
	every rate.Limit
	burst int

	mu    sync.Mutex
	addrs map[string]*rate.Limiter
}

// maxTrackedAddrs bounds the addresses remembered; past it, those whose
// allowance is full again are forgotten.
const maxTrackedAddrs = 10000

func newFailureLimiter(every rate.Limit, burst int) *failureLimiter {
	return &failureLimiter{every: every, burst: burst,
		addrs: map[string]*rate.Limiter{}}
}

// wait is how long addr must wait before it may try again; 0 when it
// may now.
func (l *failureLimiter) wait(addr string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim, ok := l.addrs[addr]
	if !ok {
		return 0
	}
	short := 1 - lim.TokensAt(now)
	if short <= 0 {
		return 0
	}
	return time.Duration(short / float64(l.every) * float64(time.Second))
}

// fail records a failed authentication from addr.
func (l *failureLimiter) fail(addr string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim, ok := l.addrs[addr]
	if !ok {
		l.prune(now)
		lim = rate.NewLimiter(l.every, l.burst)
		l.addrs[addr] = lim
	}
	lim.AllowN(now, 1)
}

// prune forgets the addresses whose allowance is full again, once too
// many are remembered. The caller holds mu.
func (l *failureLimiter) prune(now time.Time) {
	if len(l.addrs) < maxTrackedAddrs {
		return
	}
	for addr, lim := range l.addrs {
		if lim.TokensAt(now) >= float64(l.burst) {
			delete(l.addrs, addr)
		}
	}
}

// retryAfter is d in whole seconds, rounded up, at least 1, for the
// Retry-After header.
func retryAfter(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}
