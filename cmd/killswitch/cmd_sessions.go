package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/killswitch-dev/killswitch/store"
)

func newSessionsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sessions",
		Short: "Inspect the sessions in the registry",
	}
	cmd.AddCommand(newSessionsListCmd(g))
	return cmd
}

func newSessionsListCmd(g *globals) *cobra.Command {
	var f store.SessionFilter
	out := outputFlag("text")
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List sessions, filtered by principal, kind, provider, status",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			if err := checkLimit(f.Limit); err != nil {
				return err
			}
			if err := checkSessionFilter(f); err != nil {
				return err
			}
			st, err := g.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			sessions, err := st.ListSessions(cmd.Context(), f)
			if err != nil {
				return err
			}
			if out == "json" {
				return printJSON(g.out, nonNilSlice(sessions))
			}
			return printSessions(g, sessions)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.PrincipalID, "principal", "", "only this principal's sessions")
	fl.StringVar(&f.Kind, "kind", "", "only this kind: browser, token, api, agent, ssh")
	fl.StringVar(&f.Provider, "provider", "", "only sessions issued by this provider")
	fl.StringVar(&f.Status, "status", "", "only this status: active, revoked, expired")
	fl.StringVar(&f.CredentialID, "credential", "", "only sessions backed by this credential")
	fl.IntVar(&f.Limit, "limit", 0, "at most this many (0: all)")
	fl.StringVarP((*string)(&out), "output", "o", "text", "output format: text or json")
	return cmd
}

// The values the registry gives a session's kind and status. A filter on
// any other value would match nothing and read as "no such sessions".
var (
	sessionKinds    = []string{"browser", "token", "api", "agent", "ssh"}
	sessionStatuses = []string{store.StatusActive, store.StatusRevoked,
		store.StatusExpired}
)

// checkSessionFilter refuses a --kind or --status no session can have.
func checkSessionFilter(f store.SessionFilter) error {
	if err := checkChoice("--kind", f.Kind, sessionKinds); err != nil {
		return err
	}
	return checkChoice("--status", f.Status, sessionStatuses)
}

// checkChoice is a usage error when a flag's non-empty value is not one
// of allowed.
func checkChoice(flag, value string, allowed []string) error {
	if value == "" || slices.Contains(allowed, value) {
		return nil
	}
	return &exitError{code: 2, err: fmt.Errorf("%s: %q is not one of %s",
		flag, value, strings.Join(allowed, ", "))}
}

func printSessions(g *globals, sessions []store.Session) error {
	tw := table(g.out, "SESSION", "PRINCIPAL", "PROVIDER", "KIND", "STATUS",
		"ORIGIN", "CREATED", "REVOKED", "BY", "REASON")
	for _, s := range sessions {
		var at time.Time
		by, reason := "", ""
		if r := s.Revocation; r != nil {
			at, by, reason = r.At, r.By, r.Reason
		}
		row(tw, s.ID, s.PrincipalID, s.Provider, s.Kind, s.Status,
			s.Origin.IP, s.CreatedAt, at, by, reason)
	}
	return tw.Flush()
}

func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
