package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"syscall"
	"time"
)

// httpListener is run's one HTTP listener: every HTTP surface (the
// Shared Signals transmitter, the API, metrics) mounts on its mux before
// serve binds the address.
type httpListener struct {
	addr string
	mux  *http.ServeMux
	// tls, when set, serves HTTPS (see tlsFlags).
	tls *tls.Config
	// drain is how long, once run is asked to stop, requests in flight
	// may take to be answered; default 5s. run sets it past the shutdown
	// grace, which bounds an operator's revocation in flight.
	drain time.Duration
	// stopped is closed once the listener has shut down.
	stopped chan struct{}
}

func newHTTPListener(addr string) *httpListener {
	return &httpListener{addr: addr, mux: http.NewServeMux(),
		drain: 5 * time.Second, stopped: make(chan struct{})}
}

// serve binds the address (127.0.0.1:0 picks a free port, logged) and
// serves until ctx is done. It then takes no new request, ends the
// contexts of those in flight (a revocation stream, a long poll) and
// lets them answer for up to drain: an operator's revocation, which goes
// on past its request's context, is answered once the engine has done it
// or handed it back (see wait).
func (l *httpListener) serve(ctx context.Context, log *slog.Logger) error {
	ln, err := net.Listen("tcp", l.addr)
	if err != nil {
		return portTaken(fmt.Errorf("--listen %s: %w", l.addr, err),
			"move it with --listen (and use that address with curl and "+
				"the console), or give --listen \"\" to serve no HTTP")
	}
	if l.tls != nil {
		ln = tls.NewListener(ln, l.tls)
	}
	base, stopRequests := context.WithCancel(context.WithoutCancel(ctx))
	srv := &http.Server{Handler: l.mux, ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return base }}
	log.Info("http listening", "addr", ln.Addr().String(),
		"tls", l.tls != nil)
	go func() {
		defer close(l.stopped)
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), l.drain)
		defer cancel()
		stopRequests()
		if srv.Shutdown(sctx) != nil {
			_ = srv.Close()
		}
	}()
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Error("http listener stopped", "err", err)
		}
	}()
	return nil
}

// wait waits, once serve's context is done, for the requests in flight
// to be answered, drain at most.
func (l *httpListener) wait() {
	<-l.stopped
}

// portTaken is the error of run's listener or embedded broker failing
// to bind its address: exit 2, and when another process (most often
// another killswitch run) holds the address, what to do about it.
func portTaken(err error, hint string) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		err = fmt.Errorf("%w (another killswitch run?): %s", err, hint)
	}
	return &exitError{code: 2, err: err}
}
