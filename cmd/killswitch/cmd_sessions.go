package main

import (
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

func printSessions(g *globals, sessions []store.Session) error {
	tw := table(g.out, "SESSION", "PRINCIPAL", "PROVIDER", "KIND", "STATUS",
		"ORIGIN", "CREATED", "REVOKED BY", "REASON")
	for _, s := range sessions {
		by, reason := "", ""
		if s.Revocation != nil {
			by, reason = s.Revocation.By, s.Revocation.Reason
		}
		row(tw, s.ID, s.PrincipalID, s.Provider, s.Kind, s.Status,
			s.Origin.IP, s.CreatedAt, by, reason)
	}
	return tw.Flush()
}

func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
