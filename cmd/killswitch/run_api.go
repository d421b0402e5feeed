package main

import (
	"log/slog"

	"github.com/killswitch-dev/killswitch/api"
	"github.com/killswitch-dev/killswitch/store"
)

// mountAPI mounts the HTTP API under /v1/ on the listener. The Shared
// Signals paths under /v1/ssf/ and /v1/webhooks are more specific
// patterns and stay with the transmitter and its own authentication.
func mountAPI(l *httpListener, st store.Store, log *slog.Logger) (*api.Server, error) {
	srv, err := api.New(api.Config{Store: st, Log: log, Now: systemClock})
	if err != nil {
		return nil, err
	}
	l.mux.Handle(api.BasePath+"/", srv.Handler())
	return srv, nil
}
