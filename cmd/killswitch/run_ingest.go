package main

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"
	"golang.org/x/time/rate"

	"github.com/killswitch-dev/killswitch/api"
	"github.com/killswitch-dev/killswitch/api/ingest"
	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/store"
)

// ingestFlags configure POST /v1/alerts of run's API.
type ingestFlags struct {
	rate  float64
	burst int
}

func addIngestFlags(fl *pflag.FlagSet, f *ingestFlags) {
	fl.Float64Var(&f.rate, "ingest-rate", 50,
		"requests a second one API token may make to POST /v1/alerts "+
			"(each may carry many alerts); past it, 429")
	fl.IntVar(&f.burst, "ingest-burst", 100,
		"requests one API token may make to POST /v1/alerts in a row "+
			"before --ingest-rate holds it back")
}

// start gives ops the ingester of POST /v1/alerts, publishing to the
// engine's alerts topic on its brokers with its metrics in reg. stop
// flushes and closes it.
func (f ingestFlags) start(ops *api.Ops, cfg engine.ServiceConfig,
	st store.Store, reg prometheus.Registerer) (stop func(), err error) {
	if f.rate <= 0 || f.burst <= 0 {
		return nil, &exitError{code: 2, err: fmt.Errorf(
			"--ingest-rate %g and --ingest-burst %d must be positive",
			f.rate, f.burst)}
	}
	in, err := ingest.New(ingest.Config{Brokers: cfg.Consumer.Brokers,
		Topic: cfg.Consumer.Topic, DLQTopic: cfg.Consumer.DLQTopic,
		Registerer: reg, Decoder: cfg.Decoder}, st, systemClock)
	if err != nil {
		return nil, err
	}
	ops.Ingest = in
	ops.IngestRate, ops.IngestBurst = rate.Limit(f.rate), f.burst
	return func() { in.Close() }, nil
}
