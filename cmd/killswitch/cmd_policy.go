package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/policies"
	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/rules/replay"
	"github.com/killswitch-dev/killswitch/signals"
	"github.com/killswitch-dev/killswitch/store/postgres"
)

func newPolicyCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Test, evaluate, check and backtest Rego policies",
		Long: "policy is the policy author's tooling: unit tests and " +
			"data-driven cases (test), one alert evaluated with the rules " +
			"that fired (eval), compile and lint (check), and a candidate " +
			"policy replayed against past alerts next to the one in force " +
			"(backtest). None of them acts on anything.",
	}
	cmd.AddCommand(newPolicyTestCmd(g), newPolicyEvalCmd(g),
		newPolicyCheckCmd(g), newPolicyBacktestCmd(g))
	return cmd
}

// replayFlags are the flags that say which policies and which registry a
// replay uses.
type replayFlags struct {
	policies       string
	inventory      string
	now            string
	signalMappings string
}

func (f *replayFlags) add(fl *pflag.FlagSet) {
	fl.StringVar(&f.policies, "policies", "",
		"policy directory or bundle (.tar.gz); empty uses the shipped library")
	fl.StringVar(&f.inventory, "inventory", "",
		"inventory file imported into a private in-memory registry "+
			"(instead of the registry at --store)")
	fl.StringVar(&f.now, "now", "",
		"evaluation time, RFC 3339 (default: now)")
	addSignalMappingsFlag(fl, &f.signalMappings)
}

// evalTime parses --now.
func (f *replayFlags) evalTime() (time.Time, error) {
	if f.now == "" {
		return time.Now().UTC().Truncate(time.Second), nil
	}
	t, err := time.Parse(time.RFC3339, f.now)
	if err != nil {
		return t, &exitError{code: 2,
			err: fmt.Errorf("--now: %q is not an RFC 3339 time", f.now)}
	}
	return t.UTC(), nil
}

// registry opens --inventory in memory or the registry at --store; the
// returned func closes it.
func (f *replayFlags) registry(ctx context.Context, g *globals,
	now time.Time) (engine.Registry, func(), error) {
	if f.inventory != "" {
		st, err := replay.OpenInventory(ctx, f.inventory, now)
		if err != nil {
			return nil, nil, err
		}
		return st, func() { st.Close() }, nil
	}
	if _, err := os.Stat(g.storePath); err != nil &&
		!postgres.IsURL(g.storePath) {
		return nil, nil, fmt.Errorf("registry %s: %w (give --inventory FILE "+
			"or --store DB)", g.storePath, err)
	}
	st, err := g.openStore(ctx)
	if err != nil {
		return nil, nil, err
	}
	return st, func() { st.Close() }, nil
}

// loadPolicyPath loads a directory or bundle, or the shipped library when
// path is empty.
func loadPolicyPath(ctx context.Context, path string,
	opts ...rules.Option) (*rules.PolicySet, error) {
	if path == "" {
		return rules.Load(ctx, policies.FS, opts...)
	}
	return rules.LoadPath(ctx, path, opts...)
}

// readSignal decodes one alert file, with the mappings m (nil: the
// built-in decoders only).
func readSignal(path string, m *signals.Mappings) (signals.Signal, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return signals.Signal{}, err
	}
	sig, err := m.Decode(b)
	if err != nil {
		return signals.Signal{}, fmt.Errorf("%s: %w", path, err)
	}
	return sig, nil
}
