// Package sweeps runs killswitch's scheduled jobs: the sweeps that find
// what no alert will report (credentials still valid days after they
// leaked, credentials and sessions past their limits, idle sessions,
// stale locks) and the inventory sync.
//
// A Scheduler fires jobs on cron schedules (github.com/robfig/cron/v3
// specs, read in a time zone; see Schedule for daylight saving). A
// Runner runs one sweep: it takes the sweep's lease in the store, so
// that of several instances sharing a store one runs it at a time,
// records the run once per scheduled time, and keeps the run's Report.
// Of several instances sharing a PostgreSQL registry one leads, chosen
// by an advisory lock (Leadership, Elector), and only the leader's
// Scheduler fires its jobs; the lease still guards each run.
//
// Sweeps decide nothing themselves. They put together the same policy
// input an alert gets, ask the policies' sweep decision
// (data.killswitch.sweep.decision, with input.signal.type naming the
// sweep), and hand the decision to the engine, whose guardrails plan it
// into the outbox and whose executor carries it out and audits it,
// exactly as for an alert.
package sweeps

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/inventorysync"
	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/signals"
	"github.com/killswitch-dev/killswitch/store"
)

// SweepEvaluator answers the sweep decision; *rules.PolicySet (and the
// reloading policies of `killswitch run`) implement it.
type SweepEvaluator interface {
	EvaluateSweep(ctx context.Context, in rules.Input) (rules.Decision, error)
}

// Recorder takes a decision down the engine's path: guardrails, outbox,
// audit. *engine.Pipeline implements it.
type Recorder interface {
	RecordDecision(ctx context.Context, sig signals.Signal, in rules.Input,
		dec rules.Decision) (engine.Outcome, error)
}

// Executor works the outbox once. *engine.Executor implements it; a
// sweep calls it after planning so that its report says what was done.
type Executor interface {
	RunOnce(ctx context.Context) (int, error)
}

// Syncer is the inventory sync. *inventorysync.Syncer implements it.
type Syncer interface {
	Sync(ctx context.Context, provider string) ([]inventorysync.Report, error)
}

// Deps are what the sweeps work with.
type Deps struct {
	Store    store.Store
	Policies SweepEvaluator
	Pipeline Recorder
	Executor Executor
	// Connectors are asked whether exposed credentials still work (those
	// that are connectors.CredentialCheckers).
	Connectors connectors.Set
	// Syncer runs the inventory-sync sweep; nil refuses it.
	Syncer Syncer
	Clock  Clock
	Log    *slog.Logger
	// LockWarning is how long before a lock expires lock-hygiene warns of
	// it. Default 24h.
	LockWarning time.Duration
	// RevocationLogKeep is how long revocation-log-retention keeps the
	// revocation log: a stream client away longer is told it missed
	// entries. Default 30 days.
	RevocationLogKeep time.Duration
}

// Sweep is one of the shipped sweeps.
type Sweep struct {
	Name string
	// Doc says in a line what it does.
	Doc string
	run func(ctx context.Context, d *Deps, r *Report) error
}

// The shipped sweeps, by name.
var shipped = []Sweep{
	{"exposed-still-valid", "exposed credentials not yet revoked: ask " +
		"their issuer whether they still work and let the sweep policy " +
		"decide by the exposure's age", exposedStillValid},
	{"max-credential-age", "credentials older than the policy's maximum " +
		"age", policySweep(principalsWithCredentials)},
	{"max-session-lifetime", "live sessions past their principal kind's " +
		"maximum lifetime", policySweep(principalsWithSessions)},
	{"idle-sessions", "live sessions idle past their principal kind's " +
		"limit", policySweep(principalsWithSessions)},
	{"inventory-sync", "sync sessions and credentials from the connectors " +
		"that can list", inventorySync},
	{"lock-hygiene", "record expired locks, warn of locks about to " +
		"expire, report locks that match nothing live", lockHygiene},
	{"revocation-log-retention", "prune the revocation stream's log of " +
		"entries older than its retention", revocationLogRetention},
}

// Shipped lists the shipped sweeps.
func Shipped() []Sweep { return slices.Clone(shipped) }

// Lookup finds a shipped sweep by name.
func Lookup(name string) (Sweep, bool) {
	for _, s := range shipped {
		if s.Name == name {
			return s, true
		}
	}
	return Sweep{}, false
}

// Names lists the shipped sweeps' names.
func Names() []string {
	names := make([]string, len(shipped))
	for i, s := range shipped {
		names[i] = s.Name
	}
	return names
}
