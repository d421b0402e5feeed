package sweeps

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Report is what one run of a sweep did, kept with the run and shown by
// `killswitch sweep report`.
type Report struct {
	Sweep       string    `json:"sweep"`
	RunID       string    `json:"run_id"`
	ScheduledAt time.Time `json:"scheduled_at"`
	StartedAt   time.Time `json:"started_at"`
	FinishedAt  time.Time `json:"finished_at"`
	// Examined counts what the sweep looked at (credentials, sessions,
	// locks, principals); Found what it found wanting.
	Examined int `json:"examined"`
	Found    int `json:"found"`
	// Planned counts the actions the policy decided and the guardrails
	// planned; Done and Failed those finished so, Skipped those the
	// guardrails held back (dry run, monitor mode, break-glass), and
	// Pending those still waiting (for approval, or for a retry).
	Planned  int        `json:"planned"`
	Done     int        `json:"done"`
	Failed   int        `json:"failed"`
	Skipped  int        `json:"skipped"`
	Pending  int        `json:"pending"`
	Findings []Finding  `json:"findings"`
	Actions  []ActionOf `json:"actions"`
	// Errors are failures that did not stop the run (a connector that
	// could not say whether a credential is valid).
	Errors []string `json:"errors"`
	// Error is the failure that stopped the run; empty when it succeeded.
	Error string `json:"error,omitempty"`
}

// Finding is one thing a sweep found.
type Finding struct {
	// Subject is "credential:<id>", "session:<id>", "lock:<id>" or
	// "provider:<name>".
	Subject string `json:"subject"`
	What    string `json:"what"`
}

// ActionOf is one action a sweep planned, as it stood at the end of the
// run.
type ActionOf struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Target string `json:"target"`
	State  string `json:"state"`
	Reason string `json:"reason"`
	Error  string `json:"error,omitempty"`
}

func newReport(sweep, runID string, scheduledAt, now time.Time) *Report {
	return &Report{Sweep: sweep, RunID: runID, ScheduledAt: scheduledAt,
		StartedAt: now, Findings: []Finding{}, Actions: []ActionOf{},
		Errors: []string{}}
}

func (r *Report) find(subject, format string, args ...any) {
	r.Found++
	r.Findings = append(r.Findings,
		Finding{Subject: subject, What: fmt.Sprintf(format, args...)})
}

func (r *Report) fail(format string, args ...any) {
	r.Errors = append(r.Errors, fmt.Sprintf(format, args...))
}

// WriteText writes the report for a person to read.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "sweep %s  run %s\n", r.Sweep, r.RunID)
	fmt.Fprintf(&b, "scheduled %s  started %s  took %s\n",
		r.ScheduledAt.Format(time.RFC3339), r.StartedAt.Format(time.RFC3339),
		r.FinishedAt.Sub(r.StartedAt).Round(time.Millisecond))
	fmt.Fprintf(&b, "examined %d  found %d  planned %d  done %d  failed %d"+
		"  skipped %d  pending %d\n", r.Examined, r.Found, r.Planned, r.Done,
		r.Failed, r.Skipped, r.Pending)
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "  found   %s: %s\n", f.Subject, f.What)
	}
	for _, a := range r.Actions {
		fmt.Fprintf(&b, "  %-7s %s %s: %s", a.State, a.Kind, a.Target, a.Reason)
		if a.Error != "" {
			fmt.Fprintf(&b, " (%s)", a.Error)
		}
		b.WriteString("\n")
	}
	for _, e := range r.Errors {
		fmt.Fprintf(&b, "  error   %s\n", e)
	}
	if r.Error != "" {
		fmt.Fprintf(&b, "failed: %s\n", r.Error)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
