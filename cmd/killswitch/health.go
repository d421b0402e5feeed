package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/rules"
)

// readiness is what /healthz checks: the engine's parts and, when the
// policies or the signal mappings reload, whether what is on disk is
// what is in force.
type readiness struct {
	svc *engine.Service
	// reloads is the policy reloader, nil for the shipped library,
	// which never changes.
	reloads reloadable
	// mappings are --signal-mappings, nil without them.
	mappings reloadable
}

// reloadable is a part run reloads from files: ReloadErr is why the last
// reload failed, nil when what is on disk is in force.
type reloadable interface{ ReloadErr() error }

// checks are the engine's checks, the policy set's and, with
// --signal-mappings, the mapping file's: a file that broke while run
// ran left the mappings before it deciding, and /healthz said ready.
func (r readiness) checks(ctx context.Context) []engine.Check {
	cs := r.svc.Ready(ctx)
	var err error
	if r.reloads != nil {
		err = r.reloads.ReloadErr()
	}
	cs = append(cs, engine.Check{Part: "policy", Err: err})
	if r.mappings != nil {
		cs = append(cs, engine.Check{Part: "signal_mappings",
			Err: r.mappings.ReloadErr()})
	}
	return cs
}

// healthReport is the body of /healthz.
type healthReport struct {
	// Status is "ready" or "not_ready".
	Status string `json:"status"`
	// Checks holds every part by name: "ok", or why it is not ready.
	Checks map[string]string `json:"checks"`
}

// ServeHTTP answers 200 when every part is ready, 503 naming the parts
// that are not otherwise.
func (r readiness) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	rep := healthReport{Status: "ready", Checks: map[string]string{}}
	for _, c := range r.checks(req.Context()) {
		rep.Checks[c.Part] = "ok"
		if c.Err != nil {
			rep.Status, rep.Checks[c.Part] = "not_ready", c.Err.Error()
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if rep.Status != "ready" {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_ = json.NewEncoder(w).Encode(rep)
}

// serveHTTP mounts the monitoring endpoints on l and serves it.
func serveHTTP(ctx context.Context, l *httpListener, reg *prometheus.Registry,
	svc *engine.Service, pol engine.Evaluator, dec engine.PayloadDecoder,
	log *slog.Logger) error {
	ready := readiness{svc: svc}
	if r, ok := pol.(*rules.Reloader); ok {
		ready.reloads = r
	}
	if m, ok := dec.(*liveMappings); ok {
		ready.mappings = m
	}
	if err := mountMonitoring(l, reg, ready, log); err != nil {
		return err
	}
	return l.serve(ctx, log)
}

// mountMonitoring serves /metrics from reg (with the Go runtime and
// process collectors added), /livez (200 while the process serves
// HTTP) and /healthz (readiness).
func mountMonitoring(l *httpListener, reg *prometheus.Registry,
	ready readiness, log *slog.Logger) error {
	for _, c := range []prometheus.Collector{collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	l.mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(log.With("component", "metrics").Handler(),
			slog.LevelWarn),
		ErrorHandling: promhttp.ContinueOnError, Registry: reg}))
	l.mux.HandleFunc("GET /livez", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"alive"}` + "\n"))
	})
	l.mux.Handle("GET /healthz", ready)
	return nil
}
