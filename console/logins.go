package console

import (
	"crypto/rand"
	"encoding/base64"
	"sync"
	"time"
)

// logins are the console's sign-ins, in memory: a restart signs everyone
// out. Each is named by a random id that only the browser's cookie holds;
// the token it was made from is never kept.
type logins struct {
	mu    sync.Mutex
	clock func() time.Time
	by    map[string]login
}

type login struct {
	who     Caller
	expires time.Time
	// flash is the outcome of the last change, shown once on the page
	// the change redirects to.
	flash string
}

func newLogins(clock func() time.Time) *logins {
	return &logins{clock: clock, by: map[string]login{}}
}

// add signs who in for d and returns the new id and when it expires.
// Expired sign-ins are dropped on the way.
func (l *logins) add(who Caller, d time.Duration) (string, time.Time) {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on Linux
	id := base64.RawURLEncoding.EncodeToString(b)
	now := l.clock()
	l.mu.Lock()
	defer l.mu.Unlock()
	for k, v := range l.by {
		if !now.Before(v.expires) {
			delete(l.by, k)
		}
	}
	l.by[id] = login{who: who, expires: now.Add(d)}
	return id, now.Add(d)
}

// get returns the caller signed in as id, or nil when there is none or
// it expired.
func (l *logins) get(id string) Caller {
	l.mu.Lock()
	defer l.mu.Unlock()
	v, ok := l.by[id]
	if !ok {
		return nil
	}
	if !l.clock().Before(v.expires) {
		delete(l.by, id)
		return nil
	}
	return v.who
}

// remove signs id out and returns who it was, or nil.
func (l *logins) remove(id string) Caller {
	l.mu.Lock()
	defer l.mu.Unlock()
	v, ok := l.by[id]
	if !ok {
		return nil
	}
	delete(l.by, id)
	return v.who
}

// setFlash keeps msg for the next page id sees.
func (l *logins) setFlash(id, msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if v, ok := l.by[id]; ok {
		v.flash = msg
		l.by[id] = v
	}
}

// popFlash returns the message kept for id, once.
func (l *logins) popFlash(id string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	v, ok := l.by[id]
	if !ok {
		return ""
	}
	msg := v.flash
	v.flash = ""
	l.by[id] = v
	return msg
}
