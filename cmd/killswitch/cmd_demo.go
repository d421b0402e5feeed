package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/spf13/cobra"

	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/inventory"
)

type demoFlags struct {
	testdata string
	keep     bool
	timeout  time.Duration
}

func newDemoCmd(g *globals) *cobra.Command {
	f := &demoFlags{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole path on sample alerts and print what was decided",
		Long: "demo starts an in-process Kafka-protocol broker and a " +
			"registry in a temporary directory, imports the demo inventory, " +
			"publishes the sample alerts through a real Kafka client, lets " +
			"the engine consume them with the shipped policies, and prints " +
			"what it decided and revoked for each alert, and why.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("log-level") {
				g.logLevel = "warn" // the report is on stdout; keep stderr quiet
			}
			return runDemo(cmd.Context(), g, f)
		},
	}
	cmd.Flags().StringVar(&f.testdata, "testdata", "testdata",
		"directory with inventory.yaml, alerts/ and alerts-bad/")
	cmd.Flags().BoolVar(&f.keep, "keep", false,
		"keep the temporary registry to inspect it afterwards")
	cmd.Flags().DurationVar(&f.timeout, "timeout", 2*time.Minute,
		"give up if the engine has not finished by then")
	return cmd
}

// demoRun is one demo: its files, what the engine reported, the registry.
type demoRun struct {
	g       *globals
	flags   *demoFlags
	dir     string
	store   store.Store
	broker  *embeddedBroker
	cfg     engine.ServiceConfig
	mu      sync.Mutex
	reports []engine.Report
}

func runDemo(ctx context.Context, g *globals, f *demoFlags) error {
	files, err := demoFiles(f.testdata)
	if err != nil {
		return err
	}
	d, err := startDemo(ctx, g, f)
	if err != nil {
		return err
	}
	defer d.close()
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	return d.run(ctx, files)
}

// demoFiles lists the sample alerts: every good one, the first again (a
// redelivery), and the malformed ones.
func demoFiles(dir string) ([]string, error) {
	good, err := filepath.Glob(filepath.Join(dir, "alerts", "*.json"))
	if err != nil || len(good) == 0 {
		return nil, fmt.Errorf("no sample alerts in %s: run the demo from "+
			"the repository root, or pass --testdata", filepath.Join(dir, "alerts"))
	}
	bad, _ := filepath.Glob(filepath.Join(dir, "alerts-bad", "*"))
	sort.Strings(good)
	sort.Strings(bad)
	files := append(good, good[0])
	return append(files, bad...), nil
}

func startDemo(ctx context.Context, g *globals, f *demoFlags) (*demoRun, error) {
	dir, err := os.MkdirTemp("", "killswitch-demo-")
	if err != nil {
		return nil, err
	}
	d := &demoRun{g: g, flags: f, dir: dir}
	g.storePath = filepath.Join(dir, "killswitch.db")
	if d.store, err = g.createStore(ctx); err != nil {
		d.close()
		return nil, err
	}
	if err := d.importInventory(ctx); err != nil {
		d.close()
		return nil, err
	}
	if d.broker, err = startEmbeddedBroker(0, 3, engineTopics(d.cfg)...); err != nil {
		d.close()
		return nil, err
	}
	d.cfg.Consumer.Brokers = d.broker.addrs
	d.cfg.Consumer.CommitInterval = 50 * time.Millisecond
	d.cfg.Executor.Poll = 50 * time.Millisecond
	return d, nil
}

func (d *demoRun) importInventory(ctx context.Context) error {
	path := filepath.Join(d.flags.testdata, "inventory.yaml")
	inv, err := inventory.Load(path)
	if err != nil {
		return err
	}
	n, err := inv.Import(ctx, d.store, systemClock())
	if err != nil {
		return fmt.Errorf("import %s: %w", path, err)
	}
	fmt.Fprintf(d.g.out, "registry: %s (imported %s from %s)\n",
		d.g.storePath, n, path)
	return nil
}

func (d *demoRun) close() {
	if d.broker != nil {
		d.broker.Close()
	}
	if d.store != nil {
		d.store.Close()
	}
	if d.flags.keep {
		fmt.Fprintf(d.g.out, "\nregistry kept: try\n  go run ./cmd/killswitch "+
			"--store %s sessions list\n", d.g.storePath)
		return
	}
	os.RemoveAll(d.dir)
}

func (d *demoRun) run(ctx context.Context, files []string) error {
	log, err := d.g.logger()
	if err != nil {
		return err
	}
	pol, err := loadPolicies(ctx, "")
	if err != nil {
		return fmt.Errorf("load policies: %w", err)
	}
	conns, err := buildConnectors("", log)
	if err != nil {
		return err
	}
	svc, err := engine.NewService(d.cfg, d.store, pol, conns, systemClock, log)
	if err != nil {
		return err
	}
	svc.Consumer.OnReport = d.record
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- svc.Run(runCtx) }()

	fmt.Fprintf(d.g.out, "broker: in-process on %s; policies %s\n\n",
		d.broker.addrs[0], short(pol.Revision()))
	payloads, err := d.send(ctx, files)
	if err == nil {
		err = d.waitIdle(ctx, svc, len(files))
	}
	stop()
	if runErr := <-done; err == nil {
		err = runErr
	}
	if err != nil {
		return err
	}
	return d.print(ctx, files, payloads)
}

func (d *demoRun) record(r engine.Report) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.reports = append(d.reports, r)
}

func (d *demoRun) send(ctx context.Context, files []string) ([][]byte, error) {
	bad := filepath.Join(d.flags.testdata, "alerts-bad")
	malformed := func(f string) bool { return filepath.Dir(f) == bad }
	msgs, err := readPayloads(d.g, files, nil, malformed)
	if err != nil {
		return nil, err
	}
	if n := len(slices.DeleteFunc(slices.Clone(files), func(f string) bool {
		return !malformed(f)
	})); n > 0 {
		fmt.Fprintf(d.g.out, "sending %d sample alerts, the first again (a "+
			"redelivery), and %d malformed ones from %s on purpose: they "+
			"go to the dead-letter topic\n\n", len(files)-n-1, n, bad)
	}
	payloads := make([][]byte, len(msgs))
	for i, m := range msgs {
		payloads[i] = m.Value
	}
	err = publish(ctx, d.broker.addrs, engine.DefaultAlertsTopic, msgs)
	return payloads, err
}

// waitIdle waits until every message is reported, its offset committed,
// and no action is left to run.
func (d *demoRun) waitIdle(ctx context.Context, svc *engine.Service, n int) error {
	for {
		d.mu.Lock()
		got := len(d.reports)
		d.mu.Unlock()
		if got >= n && svc.Consumer.Idle() && d.outboxEmpty(ctx) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("demo: engine finished %d of %d alerts before "+
				"the timeout: %w", got, n, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (d *demoRun) outboxEmpty(ctx context.Context) bool {
	for _, s := range []string{store.ActionPending, store.ActionRunning} {
		acts, err := d.store.ListActions(ctx, store.ActionFilter{State: s, Limit: 1})
		if err != nil || len(acts) > 0 {
			return false
		}
	}
	return true
}

// deadLetters reads the dead-letter topic back with a Kafka client and
// returns each message's reason header.
func (d *demoRun) deadLetters(ctx context.Context) ([]string, error) {
	client := &kafka.Client{Addr: kafka.TCP(d.broker.addrs...)}
	req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{
		engine.DefaultDLQTopic: {kafka.LastOffsetOf(0), kafka.LastOffsetOf(1),
			kafka.LastOffsetOf(2)}}}
	resp, err := client.ListOffsets(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("list dead-letter offsets: %w", err)
	}
	var reasons []string
	for _, p := range resp.Topics[engine.DefaultDLQTopic] {
		got, err := d.readPartition(ctx, p.Partition, p.LastOffset)
		if err != nil {
			return nil, err
		}
		reasons = append(reasons, got...)
	}
	return reasons, nil
}

func (d *demoRun) readPartition(ctx context.Context, part int, end int64) ([]string, error) {
	if end <= 0 {
		return nil, nil
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: d.broker.addrs,
		Topic: engine.DefaultDLQTopic, Partition: part,
		MaxWait: 100 * time.Millisecond})
	defer r.Close()
	var reasons []string
	for int64(len(reasons)) < end {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			return nil, fmt.Errorf("read dead-letter partition %d: %w", part, err)
		}
		reasons = append(reasons, header(m, engine.HeaderError))
	}
	return reasons, nil
}

func header(m kafka.Message, key string) string {
	for _, h := range m.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}
