package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/wiring"
	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/policies"
	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/postgres"
	"github.com/killswitch-dev/killswitch/store/sqlite"
)

// openStore opens the registry named by --store, which must exist: a
// mistyped path must not read as an empty registry, nor revoke nothing.
func (g *globals) openStore(ctx context.Context) (store.Store, error) {
	if err := g.checkStore(); err != nil {
		return nil, err
	}
	if postgres.IsURL(g.storePath) {
		st, err := postgres.OpenExisting(ctx, g.storePath)
		if err != nil {
			return nil, fmt.Errorf("open registry: %w", err)
		}
		return st, nil
	}
	if _, err := os.Stat(g.storePath); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("open registry %s: it does not exist "+
			"(killswitch import creates it)", g.storePath)
	}
	return g.createStore(ctx)
}

// createStore opens the registry named by --store, creating it when it
// does not exist: for import, run and the demo. A postgres:// or
// postgresql:// URL names a PostgreSQL registry, anything else an
// SQLite file.
func (g *globals) createStore(ctx context.Context) (store.Store, error) {
	if err := g.checkStore(); err != nil {
		return nil, err
	}
	if postgres.IsURL(g.storePath) {
		st, err := postgres.Open(ctx, g.storePath)
		if err != nil {
			return nil, fmt.Errorf("open registry: %w", err)
		}
		return st, nil
	}
	st, err := sqlite.Open(ctx, g.storePath)
	if err != nil {
		return nil, fmt.Errorf("open registry %s: %w", g.storePath, err)
	}
	return st, nil
}

// checkStore refuses a libpq key=value connection string as --store: it
// would be taken for an SQLite file's name and shown, password and all.
// The error does not repeat it.
func (g *globals) checkStore() error {
	if postgres.IsKeywordDSN(g.storePath) {
		return &exitError{code: 2, err: errors.New("--store: a key=value " +
			"connection string is not taken (it is not repeated here, as " +
			"it may hold a password): give a postgres:// URL")}
	}
	return nil
}

// storeName names the registry of --store for logs and messages: a
// PostgreSQL URL with its password redacted.
func (g *globals) storeName() string {
	if postgres.IsURL(g.storePath) {
		return postgres.Redact(g.storePath)
	}
	return g.storePath
}

// buildConnectors builds the connectors a --config file names; without
// one, revocations take effect in the registry only.
func buildConnectors(path string, log *slog.Logger) (connectors.Set, error) {
	var cfg connectors.Config
	if path != "" {
		var err error
		if cfg, err = connectors.LoadConfig(path); err != nil {
			return nil, &exitError{code: 2, err: err}
		}
	}
	set, err := wiring.Build(cfg, log)
	if err != nil {
		return nil, &exitError{code: 2, err: fmt.Errorf("config %s: %w", path, err)}
	}
	return set, nil
}

// loadPolicies loads a policy directory, or the shipped library when dir
// is empty.
func loadPolicies(ctx context.Context, dir string) (*rules.PolicySet, error) {
	if dir == "" {
		return rules.Load(ctx, policies.FS)
	}
	return rules.LoadDir(ctx, dir)
}

// embeddedBroker is an in-process Kafka-protocol broker that keeps every
// message in memory.
type embeddedBroker struct {
	cluster *kfake.Cluster
	addrs   []string
}

// startEmbeddedBroker listens on 127.0.0.1:port (0 picks a free port) with
// the engine's topics created.
func startEmbeddedBroker(port, partitions int, topics ...string) (*embeddedBroker, error) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(port),
		kfake.SeedTopics(int32(partitions), topics...),
		kfake.AllowAutoTopicCreation())
	if err != nil {
		return nil, fmt.Errorf("start embedded broker on 127.0.0.1:%d: %w", port, err)
	}
	return &embeddedBroker{cluster: c, addrs: c.ListenAddrs()}, nil
}

func (b *embeddedBroker) Close() { b.cluster.Close() }

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	_, p, _ := net.SplitHostPort(l.Addr().String())
	return strconv.Atoi(p)
}

func systemClock() time.Time { return time.Now().UTC() }

// engineTopics are the topics the engine reads and writes.
func engineTopics(cfg engine.ServiceConfig) []string {
	c := cfg.Consumer
	return []string{orDefault(c.Topic, engine.DefaultAlertsTopic),
		orDefault(c.DLQTopic, engine.DefaultDLQTopic),
		orDefault(cfg.RevocationsTopic, engine.DefaultRevocationsTopic)}
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}
