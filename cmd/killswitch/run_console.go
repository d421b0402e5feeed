package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"

	"github.com/killswitch-dev/killswitch/api"
	"github.com/killswitch-dev/killswitch/console"
	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/store"
)

// consoleFlags configure run's web console.
type consoleFlags struct {
	signInFor    time.Duration
	confirmAbove int
}

func addConsoleFlags(fl *pflag.FlagSet, f *consoleFlags) {
	fl.DurationVar(&f.signInFor, "console-sign-in", 8*time.Hour,
		"how long a sign-in to the web console lasts")
	fl.IntVar(&f.confirmAbove, "console-confirm-above", 10,
		"terminating more sessions than this in the console needs the "+
			"number typed to confirm")
}

// mountConsole serves the web console at / on l, signing in with the
// API's tokens (and the OpenID Connect provider of oidc, when not nil)
// and terminating through the
// engine's executor; with clientCert, only to clients with a verified
// certificate, as the API. The provider is discovered in the background:
// one that does not answer is warned of and tried again on the next
// sign-in with it.
func mountConsole(ctx context.Context, l *httpListener, f consoleFlags,
	oidc *console.OIDCConfig, st store.Store, auth *api.Authenticator,
	svc *engine.Service, pol engine.Evaluator, policyPath string,
	clientCert bool, reg prometheus.Gatherer, log *slog.Logger) error {
	c, err := console.New(console.Config{Store: st, OIDC: oidc,
		Auth: console.APIAuth(auth), Revoker: svc.Executor,
		Connected: svc.Executor.Connected, Gatherer: reg,
		Clock: systemClock, Log: log,
		SignInFor: f.signInFor, ConfirmAbove: f.confirmAbove,
		Policies:          policyState(pol, policyPath),
		RequireClientCert: clientCert})
	if err != nil {
		return err
	}
	l.mux.Handle("/", c.Handler())
	if oidc != nil {
		log.Info("console signs in with OIDC too", "issuer", oidc.Issuer,
			"redirect_url", oidc.RedirectURL)
		go func() { _ = c.DiscoverOIDC(ctx) }() // a failure is warned of
	}
	return nil
}

// loadConsoleOIDC reads the console.oidc section of the config file at
// path: nil without a file or the section. An error exits 2.
func loadConsoleOIDC(path string) (*console.OIDCConfig, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &exitError{code: 2, err: fmt.Errorf("read config: %w",
			err)}
	}
	cfg, err := console.ParseOIDCConfig(b, os.Getenv)
	if err != nil {
		return nil, &exitError{code: 2, err: fmt.Errorf("config %s: %w",
			path, err)}
	}
	return cfg, nil
}

// policyState tells the console about the policy set in force.
func policyState(pol engine.Evaluator, path string) func() console.PolicyState {
	return func() console.PolicyState {
		s := console.PolicyState{Revision: pol.Revision()}
		switch p := pol.(type) {
		case *rules.Reloader:
			s.Files, s.Path = p.Current().Files(), path
			if err := p.ReloadErr(); err != nil {
				s.ReloadError = err.Error()
			}
		case *rules.PolicySet:
			s.Files = p.Files()
		}
		return s
	}
}
