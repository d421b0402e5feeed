package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/policies"
	"github.com/killswitch-dev/killswitch/rules"
)

// servePolicies gives `run` its policies: the shipped library, fixed; or
// the directory or bundle at path, reloaded on SIGHUP and whenever a file
// in it changes, until ctx is done. Reload metrics go to reg; opts go to
// every load.
func servePolicies(ctx context.Context, path string, audit rules.AuditAppender,
	reg prometheus.Registerer, log *slog.Logger,
	opts ...rules.Option) (engine.Evaluator, error) {
	if path == "" {
		return rules.Load(ctx, policies.FS, opts...)
	}
	r, err := rules.NewReloader(ctx, rules.ReloaderConfig{Path: path,
		Log: log, Audit: audit, Registerer: reg, Options: opts})
	if err != nil {
		return nil, err
	}
	go func() {
		if err := r.Watch(ctx); err != nil {
			log.Error("policy changes will not reload; SIGHUP still does", "err", err)
		}
	}()
	go reloadOnHangup(ctx, r)
	return r, nil
}

// reloadOnHangup reloads on every SIGHUP until ctx is done. Reload logs
// and audits its own outcome.
func reloadOnHangup(ctx context.Context, r *rules.Reloader) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			_ = r.Reload(ctx)
		}
	}
}
