package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/killswitch-dev/killswitch/duration"
	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/store"
)

func newLocksCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "locks",
		Short: "Place, list and lift locks on principals, credentials, devices and origins",
		Long: "A lock in force refuses every new session and credential of " +
			"its target, from an import, a sync or a provider, until it " +
			"expires or is lifted. Lifted and expired locks stay in history.",
	}
	cmd.AddCommand(newLocksAddCmd(g), newLocksListCmd(g),
		newLocksRemoveCmd(g))
	return cmd
}

// lockTargetFlags are add's target flags, of which exactly one is set.
type lockTargetFlags struct {
	principal, credential, device, origin string
}

func (f lockTargetFlags) target() (string, string, error) {
	var typ, target string
	n := 0
	for _, t := range [][2]string{{"principal", f.principal},
		{"credential", f.credential}, {"device", f.device},
		{"origin", f.origin}} {
		if t[1] != "" {
			typ, target = t[0], t[1]
			n++
		}
	}
	if n != 1 {
		return "", "", &exitError{code: 2, err: errors.New("locks add: " +
			"name exactly one of --principal, --credential, --device, --origin")}
	}
	return typ, target, nil
}

func newLocksAddCmd(g *globals) *cobra.Command {
	var f lockTargetFlags
	var req engine.LockRequest
	var expires string
	out := outputFlag("text")
	cmd := &cobra.Command{
		Use:   "add",
		Short: "Lock a target: new sessions and credentials of it are refused",
		Example: "  killswitch locks add --principal alice --reason \"INC-4711\" --expires 24h\n" +
			"  killswitch locks add --origin 203.0.113.0/24 --reason \"botnet\" --expires 2026-12-31T00:00:00Z",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			var err error
			now := systemClock()
			if req.TargetType, req.Target, err = f.target(); err != nil {
				return err
			}
			if req.Expires, err = parseExpiry(expires, now); err != nil {
				return err
			}
			st, err := g.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			l, err := engine.PlaceLock(cmd.Context(), st, req, now)
			if err != nil {
				return usageIfBad("locks add", err)
			}
			return printLocks(g, out, []store.Lock{l}, now)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.principal, "principal", "", "lock this principal id")
	fl.StringVar(&f.credential, "credential", "", "lock this credential id")
	fl.StringVar(&f.device, "device", "", "lock this device")
	fl.StringVar(&f.origin, "origin", "", "lock this IP address or CIDR prefix")
	fl.StringVar(&req.Reason, "reason", "", "why (required; goes to the audit trail)")
	fl.StringVar(&req.Operator, "operator", currentUser(), "who places the lock")
	fl.StringVar(&expires, "expires", "",
		"when the lock ends: a duration from now (24h, 7d) or an RFC 3339 "+
			"time; "+
			"empty keeps it until lifted")
	fl.StringVarP((*string)(&out), "output", "o", "text", "output format: text or json")
	return cmd
}

// parseExpiry reads --expires: a positive duration from now or an RFC
// 3339 time after now; empty is the zero time (never). A time not after
// now is refused here, Go's zero time among them, which would otherwise
// read as never.
func parseExpiry(v string, now time.Time) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if d, err := duration.Parse(v); err == nil {
		if d <= 0 {
			return time.Time{}, &exitError{code: 2, err: fmt.Errorf(
				"--expires: %q is not a positive duration", v)}
		}
		return now.Add(d), nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, &exitError{code: 2, err: fmt.Errorf(
			"--expires: %q is neither a duration (24h, 7d) nor an RFC 3339 time", v)}
	}
	if !t.After(now) {
		return time.Time{}, &exitError{code: 2, err: fmt.Errorf(
			"--expires: %q is not after now", v)}
	}
	return t, nil
}

// usageIfBad makes an engine.ErrBadRequest a usage error (exit 2).
func usageIfBad(op string, err error) error {
	if errors.Is(err, engine.ErrBadRequest) {
		return &exitError{code: 2, err: fmt.Errorf("%s: %w", op, err)}
	}
	return fmt.Errorf("%s: %w", op, err)
}

func newLocksListCmd(g *globals) *cobra.Command {
	var all bool
	out := outputFlag("text")
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the locks in force (--all: with the expired and lifted ones)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			st, err := g.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			now, at := systemClock(), systemClock()
			if all {
				at = time.Time{}
			}
			ls, err := st.ListLocks(cmd.Context(), at)
			if err != nil {
				return err
			}
			return printLocks(g, out, ls, now)
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "also list expired and lifted locks")
	cmd.Flags().StringVarP((*string)(&out), "output", "o", "text",
		"output format: text or json")
	return cmd
}

func newLocksRemoveCmd(g *globals) *cobra.Command {
	var reason, operator string
	out := outputFlag("text")
	cmd := &cobra.Command{
		Use:   "remove LOCK_ID",
		Short: "Lift a lock; it stays in history as lifted, with who and why",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			st, err := g.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			now := systemClock()
			l, err := engine.LiftLock(cmd.Context(), st, args[0], operator,
				reason, now)
			if errors.Is(err, engine.ErrBadRequest) {
				return usageIfBad("locks remove", err)
			}
			if err != nil {
				return err // the store's error names the lock
			}
			return printLocks(g, out, []store.Lock{l}, now)
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why (required; goes to the audit trail)")
	cmd.Flags().StringVar(&operator, "operator", currentUser(), "who lifts the lock")
	cmd.Flags().StringVarP((*string)(&out), "output", "o", "text",
		"output format: text or json")
	return cmd
}

func printLocks(g *globals, out outputFlag, ls []store.Lock, now time.Time) error {
	if out == "json" {
		return printJSON(g.out, nonNilSlice(ls))
	}
	tw := table(g.out, "LOCK", "TARGET", "STATE", "REASON", "BY", "CREATED",
		"EXPIRES")
	for _, l := range ls {
		row(tw, l.ID, l.TargetType+":"+l.Target, lockState(l, now),
			l.Reason, l.CreatedBy, l.CreatedAt, l.ExpiresAt)
	}
	return tw.Flush()
}

// lockState says whether l is in force, expired, or lifted and by whom.
func lockState(l store.Lock, now time.Time) string {
	switch {
	case !l.LiftedAt.IsZero():
		return fmt.Sprintf("lifted by %s at %s (%s)", l.LiftedBy,
			l.LiftedAt.UTC().Format(time.RFC3339), l.LiftReason)
	case l.InForce(now):
		return "in force"
	}
	return "expired"
}
