package store

import (
	"context"
	"encoding/json"
	"time"
)

// Sweep run outcomes.
const (
	SweepRunning   = "running"
	SweepSucceeded = "succeeded"
	SweepFailed    = "failed"
	// SweepInterrupted: the process was shutting down and cut the run
	// off; what it did before is in its report.
	SweepInterrupted = "interrupted"
)

// SweepRun is one run of a scheduled sweep: which instance ran it, for
// which scheduled time, how it went and its report.
type SweepRun struct {
	ID    string `json:"id"`
	Sweep string `json:"sweep"`
	// ScheduledAt is the time the schedule named (the start time for a
	// run asked for by hand). One run per sweep and scheduled time.
	ScheduledAt time.Time `json:"scheduled_at"`
	Owner       string    `json:"owner"`
	StartedAt   time.Time `json:"started_at"`
	FinishedAt  time.Time `json:"finished_at,omitzero"`
	// Outcome is running, succeeded or failed.
	Outcome string `json:"outcome"`
	Error   string `json:"error,omitempty"`
	// Report is the sweep's report, as JSON.
	Report json.RawMessage `json:"report,omitempty"`
}

// SweepRuns records sweep runs and keeps two instances that share a
// store from running one sweep at once.
type SweepRuns interface {
	// AcquireSweepLease takes the lease on a sweep for owner until
	// now+ttl. It fails (false) while another owner holds an unexpired
	// lease; the holder may take it again to extend it.
	AcquireSweepLease(ctx context.Context, sweep, owner string,
		now time.Time, ttl time.Duration) (bool, error)
	// ReleaseSweepLease gives up owner's lease; another owner's is kept.
	ReleaseSweepLease(ctx context.Context, sweep, owner string) error
	// StartSweepRun records a run as running. It returns false, and
	// writes nothing, when a run of that sweep for that scheduled time
	// exists already, so that each scheduled time runs once.
	StartSweepRun(ctx context.Context, r SweepRun) (bool, error)
	// FinishSweepRun records a run's outcome, error and report.
	FinishSweepRun(ctx context.Context, r SweepRun) error
	// ListSweepRuns returns a sweep's runs (every sweep's when sweep is
	// ""), newest first, at most limit (0: all).
	ListSweepRuns(ctx context.Context, sweep string, limit int) ([]SweepRun, error)
}
