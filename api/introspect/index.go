// Package introspect answers enforcement points (gateways, proxies, apps)
// that ask, on every request they serve, whether a session or a token is
// still live: from memory, in microseconds, never from the database on
// the request path.
//
// The Index holds what an answer needs of every session, credential,
// principal and lock, and keeps it current from the registry's change
// feed (store.Changes): every Poll, and at once when this process's
// engine revokes something (the Index is an engine.Publisher sink).
//
// Staleness bound: a change made by this process's executor (a policy's
// revocation, an operator's through the API) is in the Index before the
// action is marked done, and a lock placed or lifted through this
// process's API before the API answers.
// Any other change to the store (import, sync, another process or
// instance on the same store) is answered within Poll (default 1s) plus
// the time of one refresh after it commits. Every answer carries AsOf,
// the moment the state it was read from was current.
package introspect

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/store"
)

// Source is the change feed the Index follows; every store.Store is one.
type Source interface {
	ChangedSince(ctx context.Context, cursor int64, limit int) (store.ChangeSet, error)
}

// Config tunes an Index. The zero value is usable.
type Config struct {
	// Poll is how often Run asks the store for changes: the bound on
	// how late a change made elsewhere is seen. Default 1s.
	Poll time.Duration
	// Page is how many changed records one store query reads. Default
	// 5000.
	Page int
	// Forget is how long after it ended (was revoked, or expired) a
	// session or credential stays in the index; past that it is dropped
	// when it is loaded or changes, and introspection answers "unknown"
	// for it, inactive either way. It bounds the index by the recent
	// past rather than by every session ever seen. Default 7 days;
	// negative keeps everything.
	Forget time.Duration
}

func (c Config) withDefaults() Config {
	if c.Poll <= 0 {
		c.Poll = time.Second
	}
	if c.Forget == 0 {
		c.Forget = 7 * 24 * time.Hour
	}
	if c.Page <= 0 {
		c.Page = 5000
	}
	return c
}

// ErrNotReady: the Index has not loaded the registry yet, so it cannot
// tell a live session from an unknown one.
var ErrNotReady = errors.New("introspection index is not loaded yet")

// Index is the in-memory copy of the registry that introspection answers
// from. It is safe for concurrent use: lookups share a read lock; a
// refresh takes the write lock once per page of changes.
type Index struct {
	src   Source
	cfg   Config
	clock engine.Clock
	log   *slog.Logger

	// refresh serialises refreshes, so that the cursor only moves on.
	refresh sync.Mutex

	mu          sync.RWMutex
	sessions    map[string]*session
	byExternal  map[external]string
	credentials map[string]*credential
	byPrint     map[string]string
	principals  map[string]principal
	locks       lockIndex
	cursor      int64
	asOf        time.Time
	loaded      bool
	failures    prometheus.Counter
}

// New builds an Index over src. It holds nothing until the first
// Refresh; Run does that first.
func New(src Source, cfg Config, clock engine.Clock, log *slog.Logger) *Index {
	return &Index{src: src, cfg: cfg.withDefaults(), clock: clock,
		log:         log.With("component", "introspect"),
		sessions:    map[string]*session{},
		byExternal:  map[external]string{},
		credentials: map[string]*credential{},
		byPrint:     map[string]string{},
		principals:  map[string]principal{},
		locks:       newLockIndex(nil), failures: newFailures()}
}

// Run loads the registry and then follows its changes every Poll until
// ctx is done. A failed refresh is logged (once per new error) and tried
// again at the next tick; answers meanwhile come from the last state,
// with its AsOf.
func (x *Index) Run(ctx context.Context) error {
	t := time.NewTicker(x.cfg.Poll)
	defer t.Stop()
	var last string
	for {
		err := x.Refresh(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil && err.Error() != last:
			x.log.Warn("refresh introspection index", "err", err)
			last = err.Error()
		case err == nil && last != "":
			x.log.Info("introspection index refreshed again")
			last = ""
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Refresh reads every change since the last refresh and applies it. The
// first call loads the whole registry.
func (x *Index) Refresh(ctx context.Context) error {
	x.refresh.Lock()
	defer x.refresh.Unlock()
	start := x.clock()
	for {
		cs, err := x.src.ChangedSince(ctx, x.cursor, x.cfg.Page)
		if err != nil {
			if ctx.Err() == nil {
				x.failures.Inc()
			}
			return err
		}
		x.apply(cs)
		if !cs.More {
			break
		}
	}
	x.mu.Lock()
	x.asOf, x.loaded = start, true
	x.mu.Unlock()
	return nil
}

// Publish implements engine.Publisher: the executor calls it after a
// revocation is written and before the action is done, so the Index
// answers "inactive" by then. A failed refresh does not fail the action:
// it is logged and the next Poll catches up.
func (x *Index) Publish(ctx context.Context, _ []engine.RevocationEvent) error {
	if err := x.Refresh(ctx); err != nil {
		x.log.Warn("refresh introspection index after a revocation; "+
			"the next poll catches up", "err", err)
	}
	return nil
}

// PrincipalKind is the kind of the principal with that id, and whether
// the Index knows it.
func (x *Index) PrincipalKind(id string) (store.PrincipalKind, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	p, ok := x.principals[id]
	return p.kind, ok
}

// Cursor is the change sequence number the Index has applied up to.
func (x *Index) Cursor() int64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.cursor
}

// apply copies one page of changes in under the write lock.
func (x *Index) apply(cs store.ChangeSet) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, p := range cs.Principals {
		x.principals[p.ID] = principal{kind: p.Kind,
			disabled: p.Status == "disabled"}
	}
	for _, c := range cs.Credentials {
		x.putCredential(c)
	}
	for _, s := range cs.Sessions {
		x.putSession(s)
	}
	if len(cs.Locks) > 0 {
		x.locks = x.locks.with(cs.Locks, x.clock())
	}
	x.cursor = cs.Cursor
}

func (x *Index) putSession(s store.Session) {
	if old, ok := x.sessions[s.ID]; ok && x.byExternal[old.ext] == s.ID {
		delete(x.byExternal, old.ext)
	}
	if x.forgotten(s.Status, s.Revocation, s.ExpiresAt) {
		delete(x.sessions, s.ID)
		return
	}
	e := newSession(s)
	x.sessions[s.ID] = e
	if e.ext != (external{}) {
		x.byExternal[e.ext] = s.ID
	}
}

func (x *Index) putCredential(c store.Credential) {
	if old, ok := x.credentials[c.ID]; ok && x.byPrint[old.print] == c.ID {
		delete(x.byPrint, old.print)
	}
	if x.forgotten(c.Status, c.Revocation, c.ExpiresAt) {
		delete(x.credentials, c.ID)
		return
	}
	e := newCredential(c)
	x.credentials[c.ID] = e
	if e.print != "" {
		x.byPrint[e.print] = c.ID
	}
}

// forgotten reports whether a session or credential ended more than
// Config.Forget ago: when it was revoked, or else when it expired.
func (x *Index) forgotten(status string, rev *store.Revocation,
	expires time.Time) bool {
	if x.cfg.Forget < 0 {
		return false
	}
	end := expires
	if status != store.StatusActive && rev != nil {
		end = rev.At
	}
	return !end.IsZero() && x.clock().Sub(end) > x.cfg.Forget
}
