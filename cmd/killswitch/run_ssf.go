package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"

	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/propagation"
	"github.com/killswitch-dev/killswitch/store"
)

// ssfTokenEnv names the environment variable that holds the bearer token
// of the stream management API, kept out of flags so that it is not in
// the process list.
const ssfTokenEnv = "KILLSWITCH_SSF_TOKEN"

// ssfFlags configure the Shared Signals transmitter of run.
type ssfFlags struct {
	issuer string
	alg    string
	grace  time.Duration
}

func addSSFFlags(fl *pflag.FlagSet, f *ssfFlags) {
	fl.StringVar(&f.issuer, "ssf-issuer", "",
		"URL receivers reach this listener at; enables the Shared Signals "+
			"transmitter and webhooks (stream management wants the bearer "+
			"token in $"+ssfTokenEnv+")")
	fl.StringVar(&f.alg, "ssf-signing-alg", "ES256",
		"algorithm of new SET signing keys: ES256 or RS256")
	fl.DurationVar(&f.grace, "ssf-key-grace", 48*time.Hour,
		"how long a rotated-out signing key stays in the JWKS; at least "+
			"24h5m, so that every queued SET verifies when it arrives")
}

// validate checks the transmitter's flags before run starts anything:
// an issuer that is a URL, an offered algorithm, a listener to serve on,
// and a key grace long enough that a SET queued before a rotation is
// not delivered after receivers can no longer fetch the key that signed
// it. listen is --listen.
func (f ssfFlags) validate(listen string) error {
	if f.issuer == "" {
		return nil
	}
	if listen == "" {
		return errors.New("--ssf-issuer needs --listen")
	}
	cfg := propagation.Config{Issuer: f.issuer}.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("--ssf-issuer: %w", err)
	}
	cfg.Algorithm = f.alg
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("--ssf-signing-alg: %w", err)
	}
	if least := (propagation.PushConfig{}).MinKeyGrace(); f.grace < least {
		return fmt.Errorf("--ssf-key-grace: %s is shorter than %s: a SET "+
			"is retried for %s after it is signed, and receivers cache "+
			"the JWKS", f.grace, least,
			propagation.PushConfig{}.WithDefaults().RetryFor)
	}
	return nil
}

// startTransmitter mounts the transmitter on the listener, makes it a
// sink of the engine and starts pushing, when --ssf-issuer is set. stop
// stops the pusher and returns once it has.
func startTransmitter(ctx context.Context, f ssfFlags, st store.Store,
	l *httpListener, cfg *engine.ServiceConfig, reg prometheus.Registerer,
	log *slog.Logger) (stop func(), err error) {
	stop = func() {}
	if f.issuer == "" {
		return stop, nil
	}
	if l == nil {
		return stop, &exitError{code: 2, err: fmt.Errorf("--ssf-issuer needs --listen")}
	}
	tx, err := propagation.New(propagation.Config{Issuer: f.issuer,
		Algorithm: f.alg, KeyGrace: f.grace, Registerer: reg}, st,
		systemClock, log)
	if err != nil {
		return stop, &exitError{code: 2, err: err}
	}
	token := os.Getenv(ssfTokenEnv)
	if token == "" {
		log.Warn("no $" + ssfTokenEnv + ": stream and webhook management " +
			"refuses every request")
	}
	tx.Mount(l.mux, propagation.BearerAuth(store.Secret(token)))
	cfg.Sinks = append(cfg.Sinks, tx)
	pctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = propagation.NewPusher(tx, propagation.PushConfig{}).Run(pctx)
	}()
	log.Info("shared signals transmitter ready", "issuer", f.issuer,
		"configuration", f.issuer+propagation.PathConfiguration)
	return func() { cancel(); <-done }, nil
}
