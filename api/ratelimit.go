package api

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// keyLimiter counts events per key: failed authentications per client
// address, alerts posted per token. A key that had more than burst
// events recently is refused until its allowance refills at every.
type keyLimiter struct {
	every rate.Limit
	burst int

	mu    sync.Mutex
	addrs map[string]*rate.Limiter
}

// maxTrackedAddrs bounds the keys remembered; past it, those whose
// allowance is full again are forgotten.
const maxTrackedAddrs = 10000

func newKeyLimiter(every rate.Limit, burst int) *keyLimiter {
	return &keyLimiter{every: every, burst: burst,
		addrs: map[string]*rate.Limiter{}}
}

// wait is how long addr must wait before it may try again; 0 when it
// may now.
func (l *keyLimiter) wait(addr string, now time.Time) time.Duration {
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

// take records an event of addr (a failed authentication).
func (l *keyLimiter) take(addr string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.limiter(addr, now).AllowN(now, 1)
}

// allow takes an event of key when its allowance has one, and returns
// 0; else it takes nothing and returns how long key must wait.
func (l *keyLimiter) allow(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim := l.limiter(key, now)
	if lim.AllowN(now, 1) {
		return 0
	}
	short := 1 - lim.TokensAt(now)
	return time.Duration(short / float64(l.every) * float64(time.Second))
}

// limiter is key's limiter, made when it has none. The caller holds mu.
func (l *keyLimiter) limiter(key string, now time.Time) *rate.Limiter {
	lim, ok := l.addrs[key]
	if !ok {
		l.prune(now)
		lim = rate.NewLimiter(l.every, l.burst)
		l.addrs[key] = lim
	}
	return lim
}

// prune forgets the addresses whose allowance is full again, once too
// many are remembered. The caller holds mu.
func (l *keyLimiter) prune(now time.Time) {
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
