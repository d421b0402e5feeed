// Package revstream serves the revocation stream: server-sent events
// (text/event-stream) of every session or credential revoked, principal
// disabled and lock placed or lifted, for enforcement points that would
// rather be told than ask.
//
// Events come from the registry's revocation log (store.Changes), which
// the store writes in the transaction of the change itself, whoever
// makes it. An event's id is its sequence number in that log: durable and
// never reused, so a client that reconnects with Last-Event-ID gets
// exactly what it missed, from any instance sharing the store. A stream
// looks for new entries every Poll, and at once when this process's
// engine revokes something (a Stream is an engine.Publisher sink).
package revstream

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/store"
)

// Log is the revocation log a Stream serves; every store.Store is one.
type Log interface {
	RevocationLog(ctx context.Context, after int64, limit int) ([]store.RevocationEntry, error)
	LastRevocationSeq(ctx context.Context) (int64, error)
	RevocationLogPruned(ctx context.Context) (int64, error)
}

// Config tunes a Stream. The zero value is usable.
type Config struct {
	// Poll is how often an idle stream reads the log: the bound on how
	// late a change made by another process or instance is sent.
	// Default 1s.
	Poll time.Duration
	// Heartbeat is how often an idle stream sends a comment, so that
	// proxies keep the connection and clients notice a dead one.
	// Default 15s.
	Heartbeat time.Duration
	// Page is how many entries one read of the log takes. Default 500.
	Page int
	// WriteTimeout bounds each write to a client; a client that does not
	// read for that long is dropped. Default 30s.
	WriteTimeout time.Duration
	// MaxClients bounds the clients connected at once (each holds a
	// goroutine and reads the log every Poll); past it a client is
	// refused with 503 and Retry-After until one leaves. Default 1000.
	MaxClients int
}

func (c Config) withDefaults() Config {
	if c.Poll <= 0 {
		c.Poll = time.Second
	}
	if c.Heartbeat <= 0 {
		c.Heartbeat = 15 * time.Second
	}
	if c.Page <= 0 {
		c.Page = 500
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 30 * time.Second
	}
	if c.MaxClients <= 0 {
		c.MaxClients = 1000
	}
	return c
}

// Stream serves the revocation log to any number of clients.
type Stream struct {
	log    Log
	cfg    Config
	logger *slog.Logger
	active atomic.Int64
	sent   prometheus.Counter

	mu   sync.Mutex
	wake chan struct{} // closed and replaced by notify
}

// New builds a Stream over log.
func New(log Log, cfg Config, logger *slog.Logger) *Stream {
	return &Stream{log: log, cfg: cfg.withDefaults(),
		logger: logger.With("component", "revstream"),
		wake:   make(chan struct{}), sent: newSent()}
}

// Publish implements engine.Publisher: the executor calls it once the
// revocation is in the store, and every open stream reads the log now.
func (s *Stream) Publish(context.Context, []engine.RevocationEvent) error {
	s.notify()
	return nil
}

// Active is how many clients are connected now.
func (s *Stream) Active() int { return int(s.active.Load()) }

// ErrFull: the stream has Config.MaxClients clients already.
var ErrFull = errors.New("the revocation stream has as many clients as " +
	"it takes; retry in a few seconds")

// Admit takes a client's place, ErrFull when there is none; release
// gives it back when the client is gone. Follow needs one.
func (s *Stream) Admit() (release func(), err error) {
	for {
		n := s.active.Load()
		if n >= int64(s.cfg.MaxClients) {
			return nil, ErrFull
		}
		if s.active.CompareAndSwap(n, n+1) {
			return func() { s.active.Add(-1) }, nil
		}
	}
}

func (s *Stream) notify() {
	s.mu.Lock()
	close(s.wake)
	s.wake = make(chan struct{})
	s.mu.Unlock()
}

func (s *Stream) woken() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.wake
}

// errGone: the client went away or stopped reading.
var errGone = errors.New("client gone")
