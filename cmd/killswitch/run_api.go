package main

import (
	"context"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/killswitch-dev/killswitch/api"
	"github.com/killswitch-dev/killswitch/api/introspect"
	"github.com/killswitch-dev/killswitch/api/revstream"
	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/sweeps"
)

// mountAPI mounts the HTTP API under /v1/ on the listener, reporting
// the policies in force, the sweeps of the config file at path and
// whether this instance leads them (leader, nil when none are
// scheduled), and requiring a verified client certificate when
// clientCert is set. The
// Shared Signals paths under /v1/ssf/ and /v1/webhooks are more
// specific patterns and stay with the transmitter and its own
// authentication.
func mountAPI(l *httpListener, st store.Store, pol engine.Evaluator,
	path string, leader api.SweepLeader, clientCert bool, ops api.Ops,
	log *slog.Logger) (*api.Server, error) {
	scheds, err := sweepSchedules(path)
	if err != nil {
		return nil, err
	}
	srv, err := api.New(api.Config{Store: st, Log: log, Now: systemClock,
		Policies: pol, Sweeps: scheds, SweepLeader: leader,
		RequireClientCert: clientCert,
		Ops:               ops})
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

// liveViews are what run keeps of the registry for enforcement points:
// the introspection index and the revocation stream. Both are sinks of
// the engine, so that its revocations reach them before an action is
// done, and both follow the store for every other writer.
type liveViews struct {
	index  *introspect.Index
	stream *revstream.Stream
}

// newLiveViews builds the views, registers their metrics with reg and
// adds them to cfg's sinks.
func newLiveViews(st store.Store, cfg *engine.ServiceConfig,
	reg prometheus.Registerer, log *slog.Logger) (liveViews, error) {
	v := liveViews{index: introspect.New(st, introspect.Config{},
		systemClock, log), stream: revstream.New(st, revstream.Config{}, log)}
	if err := v.index.Register(reg); err != nil {
		return v, err
	}
	if err := v.stream.Register(reg); err != nil {
		return v, err
	}
	cfg.Sinks = append(cfg.Sinks, v.index, v.stream)
	return v, nil
}

// ops are the API's parts: the engine's executor and the views.
func (v liveViews) ops(svc *engine.Service, confirmOver int) api.Ops {
	return api.Ops{Executor: svc.Executor, ConfirmOver: confirmOver,
		Introspection: v.index, Revocations: v.stream}
}

// start loads the index and keeps it current until ctx is done.
func (v liveViews) start(ctx context.Context) {
	go v.index.Run(ctx)
}
