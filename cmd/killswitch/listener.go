package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
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
}

func newHTTPListener(addr string) *httpListener {
	return &httpListener{addr: addr, mux: http.NewServeMux()}
}

// serve binds the address (127.0.0.1:0 picks a free port, logged) and
// serves until ctx is done, then shuts down, letting requests in flight
// (a long poll) finish for a few seconds.
func (l *httpListener) serve(ctx context.Context, log *slog.Logger) error {
	ln, err := net.Listen("tcp", l.addr)
	if err != nil {
		return &exitError{code: 2, err: fmt.Errorf("--listen %s: %w", l.addr, err)}
	}
	if l.tls != nil {
		ln = tls.NewListener(ln, l.tls)
	}
	srv := &http.Server{Handler: l.mux, ReadHeaderTimeout: 10 * time.Second}
	log.Info("http listening", "addr", ln.Addr().String(),
		"tls", l.tls != nil)
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Error("http listener stopped", "err", err)
		}
	}()
	return nil
}
