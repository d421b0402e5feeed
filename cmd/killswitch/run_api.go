package main

import (
	"log/slog"

	"github.com/killswitch-dev/killswitch/api"
	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/sweeps"
)

// mountAPI mounts the HTTP API under /v1/ on the listener, reporting
// the policies in force and the sweeps of the config file at path, and
// requiring a verified client certificate when clientCert is set. The
// Shared Signals paths under /v1/ssf/ and /v1/webhooks are more
// specific patterns and stay with the transmitter and its own
// authentication.
func mountAPI(l *httpListener, st store.Store, pol engine.Evaluator,
	path string, clientCert bool, log *slog.Logger) (*api.Server, error) {
	scheds, err := sweepSchedules(path)
	if err != nil {
		return nil, err
	}
	srv, err := api.New(api.Config{Store: st, Log: log, Now: systemClock,
		Policies: pol, Sweeps: scheds, RequireClientCert: clientCert})
	if err != nil {
		return nil, err
	}
	l.mux.Handle(api.BasePath+"/", srv.Handler())
	return srv, nil
}

// sweepSchedules are the sweeps the config file at path schedules.
func sweepSchedules(path string) ([]api.SweepSchedule, error) {
	if path == "" {
		return nil, nil
	}
	cfg, err := sweeps.LoadConfig(path)
	if err != nil {
		return nil, &exitError{code: 2, err: err}
	}
	var out []api.SweepSchedule
	for _, j := range cfg.Jobs {
		s, err := sweeps.ParseSchedule(j.Schedule, j.TimeZone)
		if err != nil {
			return nil, &exitError{code: 2, err: err}
		}
		out = append(out, api.SweepSchedule{Name: j.Sweep,
			Schedule: s.String(), Next: s.Next})
	}
	return out, nil
}
