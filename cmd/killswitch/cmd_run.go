package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/inventorysync"
	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/store"
)

type runFlags struct {
	brokers      string
	embeddedPort int
	partitions   int
	policiesDir  string
	policyLimit  time.Duration
	cfg          engine.ServiceConfig
	protected    []string
	configPath   string
	syncInterval time.Duration
	listen       string
	tls          tlsFlags
	confirmOver  int
	ingest       ingestFlags
	ssf          ssfFlags
	console      consoleFlags
	mappings     string
	auditHeads   time.Duration
}

func newRunCmd(g *globals) *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the response engine: consume alerts, decide, revoke",
		Long: "run consumes alerts from Kafka, evaluates them against the " +
			"policies and revokes what they decide, until interrupted.\n\n" +
			"Without --kafka-brokers it starts an in-process broker on " +
			"127.0.0.1:9092 that keeps alerts in memory only.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runEngine(cmd, g, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.brokers, "kafka-brokers", "",
		"comma-separated Kafka bootstrap brokers; empty starts the embedded broker")
	fl.IntVar(&f.embeddedPort, "embedded-broker-port", 9092,
		"port of the embedded broker on 127.0.0.1 (without --kafka-brokers)")
	fl.IntVar(&f.partitions, "embedded-partitions", 3,
		"partitions per topic on the embedded broker")
	fl.StringVar(&f.policiesDir, "policies", "",
		"Rego policy directory or bundle (.tar.gz), reloaded on change and "+
			"on SIGHUP; empty uses the shipped library")
	fl.DurationVar(&f.policyLimit, "policy-timeout", rules.DefaultEvalTimeout,
		"how long one policy evaluation may run; past it the alert is "+
			"dead-lettered as a policy error naming the decision")
	fl.StringVar(&f.configPath, "config", "",
		"config file (YAML): its connectors, guardrails, sweeps and "+
			"console sections; without connectors, revocations take effect in the "+
			"registry only")
	fl.DurationVar(&f.syncInterval, "sync-interval", 5*time.Minute,
		"how often to sync sessions and credentials from the connectors "+
			"that can list (as killswitch sync does); 0 turns it off")
	fl.StringVar(&f.listen, "listen", "127.0.0.1:8080",
		"address of the HTTP listener; empty serves no HTTP")
	addTLSFlags(fl, &f.tls)
	fl.IntVar(&f.confirmOver, "confirm-over", 100,
		"sessions an API termination by filter may match before it needs "+
			"the count confirmed")
	addIngestFlags(fl, &f.ingest)
	addSSFFlags(fl, &f.ssf)
	// Below the 30 s a container runtime usually waits before SIGKILL, so
	// that the final commit and the hand-back land before it.
	fl.DurationVar(&f.cfg.ShutdownGrace, "shutdown-grace", 20*time.Second,
		"on SIGTERM, how long in-flight messages and actions may take to "+
			"finish; past it they are handed back (messages uncommitted, "+
			"actions to the outbox) and run still exits 0; keep it below "+
			"the time your supervisor waits before SIGKILL")
	addConsoleFlags(fl, &f.console)
	fl.StringVar(&f.mappings, "signal-mappings", "", signalMappingsUsage+
		"; reloaded on change and on SIGHUP, a broken file keeping the "+
		"mappings in force")
	fl.DurationVar(&f.auditHeads, "audit-head-every", time.Hour,
		"how often to log the audit trail's head (\"audit head\": seq and "+
			"hash; also at start and at stop, once the trail holds an "+
			"entry) when it moved, for "+
			"audit verify --head to prove later that no entry up to it "+
			"was removed; 0 logs none")
	addEngineFlags(fl, &f.cfg, &f.protected)
	return cmd
}

func runEngine(cmd *cobra.Command, g *globals, f *runFlags) error {
	ctx := cmd.Context()
	log, err := g.logger()
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	if err := f.ssf.validate(f.listen); err != nil {
		return &exitError{code: 2, err: err}
	}
	if err := f.ingest.validate(f.listen); err != nil {
		return &exitError{code: 2, err: err}
	}
	if f.auditHeads < 0 {
		return &exitError{code: 2, err: fmt.Errorf(
			"--audit-head-every: %s is negative (0 logs no head)", f.auditHeads)}
	}
	if f.policyLimit <= 0 {
		return &exitError{code: 2, err: fmt.Errorf(
			"--policy-timeout: %s is not positive", f.policyLimit)}
	}
	var l *httpListener
	if f.listen != "" {
		l = newHTTPListener(f.listen)
		l.drain = f.cfg.ShutdownGrace + 5*time.Second
		if l.tls, err = f.tls.config(); err != nil {
			return err
		}
	}
	f.cfg.Guardrails.Protected = f.protected
	// Leases name the instance that holds them, so that an operator can
	// tell which of several instances is working an action.
	if f.cfg.Executor.Owner == "" {
		f.cfg.Executor.Owner = "run:" + instanceName()
	}
	if err := loadGuardrails(f.configPath, &f.cfg.Guardrails); err != nil {
		return &exitError{code: 2, err: err}
	}
	oidc, err := loadConsoleOIDC(f.configPath)
	if err != nil {
		return err
	}
	if f.mappings != "" {
		live, err := newLiveMappings(f.mappings, log)
		if err != nil {
			return err
		}
		f.cfg.Decoder = live
		live.start(ctx)
	}
	reg := prometheus.NewRegistry()
	f.cfg.Registerer = reg
	if f.brokers == "" {
		b, err := startEmbeddedBroker(f.embeddedPort, f.partitions,
			engineTopics(f.cfg)...)
		if err != nil {
			return portTaken(err, "move it with --embedded-broker-port "+
				"(and give send that port in --kafka-brokers), or give "+
				"--kafka-brokers a cluster's brokers")
		}
		defer b.Close()
		f.cfg.Consumer.Brokers = b.addrs
		log.Warn("no --kafka-brokers: started the embedded Kafka-protocol "+
			"broker; it keeps alerts in memory only and loses them on exit",
			"addr", strings.Join(b.addrs, ","))
	} else {
		f.cfg.Consumer.Brokers = strings.Split(f.brokers, ",")
	}
	st, err := g.createStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	err = warnUnmatchedProtected(ctx, f.cfg.Guardrails, st, log)
	if err != nil {
		return err
	}
	pol, err := servePolicies(ctx, f.policiesDir, st, reg, log,
		rules.WithEvalTimeout(f.policyLimit))
	if err != nil {
		return fmt.Errorf("load policies: %w", err)
	}
	log.Info("policies loaded", "revision", pol.Revision())
	conns, err := buildConnectors(f.configPath, log)
	if err != nil {
		return err
	}
	if len(conns) == 0 {
		log.Warn("no connectors (no connectors section in --config): " +
			"revocations take effect in the registry only; the " +
			"providers still honour the sessions and credentials")
	}
	pushed, err := startTransmitter(ctx, f.ssf, st, l, &f.cfg, reg, log)
	if err != nil {
		return err
	}
	defer pushed()
	var views liveViews
	if l != nil {
		if views, err = newLiveViews(st, &f.cfg, reg, log); err != nil {
			return err
		}
	}
	svc, err := engine.NewService(f.cfg, st, pol, conns, systemClock, log)
	if err != nil {
		return err
	}
	scheduled, err := planSweeps(f.configPath, st, pol, svc, conns, reg, log)
	if err != nil {
		return err
	}
	if l != nil {
		ops := views.ops(svc, f.confirmOver)
		closeIngest, err := f.ingest.start(ctx, &ops, f.cfg, st, reg)
		if err != nil {
			return err
		}
		defer closeIngest()
		apiSrv, err := mountAPI(l, st, pol, f.configPath,
			scheduled.leader(), f.tls.clientCA != "", ops, log)
		if err != nil {
			return err
		}
		views.start(ctx)
		if err := mountConsole(ctx, l, f.console, oidc, st,
			apiSrv.Authenticator(), svc, pol, f.policiesDir,
			f.tls.clientCA != "", reg, log); err != nil {
			return err
		}
		if err := serveHTTP(ctx, l, reg, svc, pol, f.cfg.Decoder,
			log); err != nil {
			return err
		}
	}
	startSync(ctx, st, conns, f.syncInterval, log)
	stopSweeps := scheduled.start(ctx)
	defer stopSweeps()
	heads := logAuditHeads(ctx, st, f.auditHeads, log)
	log.Info("killswitch running", "store", g.storeName(),
		"brokers", strings.Join(f.cfg.Consumer.Brokers, ","),
		"dry_run", f.cfg.Guardrails.DryRun,
		"protected", len(f.cfg.Guardrails.Protected),
		"budgets", len(f.cfg.Guardrails.Budgets))
	err = svc.Run(ctx)
	if l != nil {
		l.wait() // an operator's revocation in flight is answered
	}
	var cut *engine.AbandonedError
	if errors.As(err, &cut) {
		// Nothing is lost: the next start takes the work up again.
		log.Warn("stopped before in-flight work finished", "err", err)
		err = nil
	}
	heads()
	log.Info("killswitch stopped")
	return err
}

// startSync syncs the registry with the connectors that can list, now
// and every interval, until ctx is done; it does nothing when interval is
// 0 or no connector can list.
func startSync(ctx context.Context, st store.Store, conns connectors.Set,
	interval time.Duration, log *slog.Logger) {
	s := inventorysync.New(st, conns, systemClock, log)
	if interval <= 0 || len(s.Providers()) == 0 {
		return
	}
	log.Info("inventory sync scheduled", "every", interval,
		"providers", strings.Join(s.Providers(), ","))
	go s.Every(ctx, interval)
}
