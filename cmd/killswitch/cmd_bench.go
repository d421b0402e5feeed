package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/store"
)

// benchFlags are the flags of bench.
type benchFlags struct {
	principals int
	alerts     int
	policies   string
	testdata   string
	mappings   string
	lookupTime time.Duration
	timeout    time.Duration
	seed       uint64
	output     outputFlag
}

func newBenchCmd(g *globals) *cobra.Command {
	f := &benchFlags{}
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure the engine's speed and memory on this machine",
		Long: "bench starts what demo starts (an in-process Kafka-protocol " +
			"broker, a temporary SQLite registry, the policies), imports " +
			"--principals copies of the demo principals, publishes --alerts " +
			"sample alerts (those of mapped formats decoded through " +
			"--signal-mappings) re-targeted at random copies through a Kafka " +
			"client, lets the engine consume them and execute their actions " +
			"(in the registry: no connector is configured), and reports " +
			"throughput, decision latency, memory and store size, then " +
			"introspection lookups over the same registry. It measures; it " +
			"asserts no speed. It exits 1 when an alert is lost: dead-" +
			"lettered, deduplicated, or not processed before --timeout.",
		Example: "  killswitch bench --principals 10000 --alerts 20000 -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("log-level") {
				g.logLevel = "error" // the engine warns per poison alert
			}
			return runBench(cmd.Context(), g, f)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.principals, "principals", 1000, "principals in the registry")
	fl.IntVar(&f.alerts, "alerts", 5000, "alerts to publish")
	fl.StringVar(&f.policies, "policies", "",
		"policy directory or bundle (default: the shipped library)")
	fl.StringVar(&f.testdata, "testdata", "testdata",
		"directory with inventory.yaml and alerts/")
	addSignalMappingsFlag(fl, &f.mappings)
	fl.DurationVar(&f.lookupTime, "lookup-time", time.Second,
		"how long to measure introspection lookups, each way")
	fl.DurationVar(&f.timeout, "timeout", 10*time.Minute,
		"give up (and fail) if the engine has not finished by then")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of the random choice of principals")
	fl.StringVarP((*string)(&f.output), "output", "o", "text", "output format: text or json")
	return cmd
}

func (f *benchFlags) validate() error {
	if err := f.output.validate(); err != nil {
		return err
	}
	for _, c := range []struct {
		flag string
		n    int
	}{{"--principals", f.principals}, {"--alerts", f.alerts}} {
		if c.n <= 0 {
			return &exitError{code: 2, err: fmt.Errorf("%s: %d is not a "+
				"positive number", c.flag, c.n)}
		}
	}
	if f.lookupTime <= 0 || f.timeout <= 0 {
		return &exitError{code: 2, err: fmt.Errorf("--lookup-time %s, "+
			"--timeout %s: both must be positive", f.lookupTime, f.timeout)}
	}
	return nil
}

// benchRun is one bench: its registry, broker and what the engine
// reported.
type benchRun struct {
	g      *globals
	f      *benchFlags
	dir    string
	store  store.Store
	broker *embeddedBroker
	cfg    engine.ServiceConfig

	mu      sync.Mutex
	seen    map[[2]int64]bool
	lat     []time.Duration
	dead    int
	dups    int
	lastEnd time.Time
}

func runBench(ctx context.Context, g *globals, f *benchFlags) error {
	if err := f.validate(); err != nil {
		return err
	}
	mappings, err := loadSignalMappings(f.mappings)
	if err != nil {
		return err
	}
	bc, err := loadBenchCopies(f.testdata)
	if err != nil {
		return err
	}
	bc.mappings = mappings
	ts, skipped, err := bc.loadTemplates(f.testdata)
	if err != nil {
		return err
	}
	b, err := startBench(ctx, g, f)
	if err != nil {
		return err
	}
	defer b.close()
	if mappings != nil {
		b.cfg.Decoder = mappings
	}
	rep := &benchReport{Principals: f.principals, Alerts: f.alerts,
		Templates: len(ts), Skipped: skipped}
	if err := b.importCopies(ctx, bc, rep); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(f.seed, f.seed))
	msgs, err := bc.alerts(ts, f.alerts, f.principals, rng)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	if err := b.measure(ctx, msgs, rep); err != nil {
		return err
	}
	if err := b.lookups(ctx, rep); err != nil {
		return err
	}
	if err := rep.print(g, f.output); err != nil {
		return err
	}
	return rep.lost()
}

func startBench(ctx context.Context, g *globals, f *benchFlags) (*benchRun, error) {
	dir, err := os.MkdirTemp("", "killswitch-bench-")
	if err != nil {
		return nil, err
	}
	b := &benchRun{g: g, f: f, dir: dir, seen: map[[2]int64]bool{}}
	g.storePath = filepath.Join(dir, "killswitch.db")
	if b.store, err = g.createStore(ctx); err != nil {
		b.close()
		return nil, err
	}
	b.broker, err = startEmbeddedBroker(0, 3, engineTopics(b.cfg)...)
	if err != nil {
		b.close()
		return nil, err
	}
	b.cfg.Consumer.Brokers = b.broker.addrs
	b.cfg.Consumer.CommitInterval = 50 * time.Millisecond
	b.cfg.Executor.Poll = 50 * time.Millisecond
	return b, nil
}

func (b *benchRun) close() {
	if b.broker != nil {
		b.broker.Close()
	}
	if b.store != nil {
		b.store.Close()
	}
	os.RemoveAll(b.dir)
}

// importCopies imports the synthetic inventory and counts it.
func (b *benchRun) importCopies(ctx context.Context, bc *benchCopies,
	rep *benchReport) error {
	files, err := bc.inventory(b.f.principals)
	if err != nil {
		return err
	}
	start := time.Now()
	now := systemClock()
	for _, f := range files {
		n, err := f.Import(ctx, b.store, now)
		if err != nil {
			return err
		}
		rep.inventoryAdd(n.Principals, n.Aliases, n.Sessions, n.Credentials)
	}
	rep.Inventory.ImportSeconds = time.Since(start).Seconds()
	return nil
}

// record is the consumer's report hook: it counts each message once, by
// partition and offset, however often it is delivered.
func (b *benchRun) record(r engine.Report) {
	b.mu.Lock()
	defer b.mu.Unlock()
	k := [2]int64{int64(r.Message.Partition), r.Message.Offset}
	if b.seen[k] {
		return
	}
	b.seen[k] = true
	b.lastEnd = time.Now()
	switch {
	case r.Poison != nil:
		b.dead++
	case r.Outcome.Duplicate:
		b.dups++
	default:
		b.lat = append(b.lat, r.Took)
	}
}

func (b *benchRun) finished() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.seen)
}

// errUnfinished: the engine did not finish before --timeout; the report
// is printed with what it did finish.
var errUnfinished = errors.New("engine did not finish before the timeout")
