package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"
	"golang.org/x/time/rate"

	"github.com/killswitch-dev/killswitch/api"
	"github.com/killswitch-dev/killswitch/api/ingest"
	"github.com/killswitch-dev/killswitch/api/setpush"
	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/store"
)

// ingestFlags configure the API's alert routes: POST /v1/alerts and the
// Shared Signals receiver, POST /v1/ssf/push.
type ingestFlags struct {
	rate     float64
	burst    int
	issuers  []string
	audience string
}

func addIngestFlags(fl *pflag.FlagSet, f *ingestFlags) {
	fl.Float64Var(&f.rate, "ingest-rate", 50,
		"requests a second one API token may make to POST /v1/alerts "+
			"and /v1/ssf/push (each may carry many alerts); past it, 429")
	fl.IntVar(&f.burst, "ingest-burst", 100,
		"requests one API token may make to those routes in a row "+
			"before --ingest-rate holds it back")
	fl.StringArrayVar(&f.issuers, "ssf-receiver-issuer", nil,
		"ISSUER=JWKS_URL_OR_FILE: accept Security Event Tokens pushed "+
			"to POST /v1/ssf/push from this issuer (iss), verified with "+
			"its JWKS (fetched and cached, or read from a file); "+
			"repeat for each transmitter")
	fl.StringVar(&f.audience, "ssf-receiver-audience", "",
		"the audience (aud) a pushed SET must name: this receiver, as "+
			"its transmitters' streams know it")
}

// receiverConfig is the SET receiver the flags configure; ok is false
// when they configure none.
func (f ingestFlags) receiverConfig() (cfg setpush.Config, ok bool, err error) {
	if len(f.issuers) == 0 {
		if f.audience != "" {
			return cfg, false, errors.New("--ssf-receiver-audience needs " +
				"--ssf-receiver-issuer")
		}
		return cfg, false, nil
	}
	cfg = setpush.Config{Issuers: map[string]string{}, Audience: f.audience}
	for _, v := range f.issuers {
		iss, src, found := strings.Cut(v, "=")
		if !found || iss == "" || src == "" {
			return cfg, false, fmt.Errorf("--ssf-receiver-issuer %q: want "+
				"ISSUER=JWKS_URL_OR_FILE", v)
		}
		cfg.Issuers[iss] = src
	}
	if err := cfg.Validate(); err != nil {
		return cfg, false, fmt.Errorf("--ssf-receiver-issuer: %w "+
			"(--ssf-receiver-audience)", err)
	}
	return cfg, true, nil
}

// validate checks the flags before run starts anything; listen is
// --listen.
func (f ingestFlags) validate(listen string) error {
	if f.rate <= 0 || f.burst <= 0 {
		return fmt.Errorf("--ingest-rate %g and --ingest-burst %d must "+
			"be positive", f.rate, f.burst)
	}
	_, ok, err := f.receiverConfig()
	if err == nil && ok && listen == "" {
		err = errors.New("--ssf-receiver-issuer needs --listen")
	}
	return err
}

// start gives ops the ingester of the alert routes, publishing to the
// engine's alerts topic on its brokers with its metrics in reg, and the
// SET receiver when the flags configure one; its JWKS cache lives as
// long as ctx. stop flushes and closes the ingester.
func (f ingestFlags) start(ctx context.Context, ops *api.Ops,
	cfg engine.ServiceConfig, st store.Store,
	reg prometheus.Registerer) (stop func(), err error) {
	rcfg, receive, err := f.receiverConfig()
	if err != nil {
		return nil, &exitError{code: 2, err: err}
	}
	if receive {
		ops.SETReceiver, err = setpush.New(ctx, rcfg, systemClock)
		if err != nil {
			return nil, &exitError{code: 2, err: fmt.Errorf(
				"--ssf-receiver-issuer: %w", err)}
		}
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
