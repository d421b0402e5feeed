package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/spf13/pflag"

	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/propagation"
	"github.com/killswitch-dev/killswitch/store"
)

// ssfIssuerEnv gives commands that revoke outside run (revoke, sweep
// run) the transmitter's issuer, as run's --ssf-issuer names it.
const ssfIssuerEnv = "KILLSWITCH_SSF_ISSUER"

// addSSFIssuerFlag adds --ssf-issuer to a command that revokes outside
// run.
func addSSFIssuerFlag(fl *pflag.FlagSet, issuer *string) {
	fl.StringVar(issuer, "ssf-issuer", os.Getenv(ssfIssuerEnv),
		"run's --ssf-issuer: queue these revocations for the registry's "+
			"Shared Signals streams and webhooks, which run delivers "+
			"(default $"+ssfIssuerEnv+")")
}

// cliTransmitter is the publisher that queues a command's revocations
// for the registry's streams and webhooks, signed as run's transmitter
// signs them; run's pusher, which works the queue in the registry,
// delivers them. Without an issuer it is nil, and a registry that has
// streams is warned of: they will not hear of these revocations.
func cliTransmitter(ctx context.Context, st store.Store, issuer string,
	log *slog.Logger) (engine.Publisher, error) {
	if issuer != "" {
		tx, err := propagation.New(propagation.Config{Issuer: issuer}, st,
			systemClock, log)
		if err != nil {
			return nil, &exitError{code: 2, err: fmt.Errorf("--ssf-issuer: %w", err)}
		}
		return tx, nil
	}
	streams, err := st.ListStreams(ctx)
	if err != nil {
		return nil, fmt.Errorf("list shared signals streams: %w", err)
	}
	live := 0
	for _, s := range streams {
		if s.Status != store.StreamDisabled {
			live++
		}
	}
	if live > 0 {
		log.Warn("the registry has Shared Signals streams or webhooks that "+
			"will not hear of these revocations: give --ssf-issuer (run's) "+
			"or $"+ssfIssuerEnv, "streams", live)
	}
	return nil, nil
}

// publishers joins the publishers that are set.
func publishers(ps ...engine.Publisher) engine.Publisher {
	var out engine.Publishers
	for _, p := range ps {
		if p != nil {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
