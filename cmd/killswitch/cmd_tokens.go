package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/killswitch-dev/killswitch/api"
	"github.com/killswitch-dev/killswitch/store"
)

func newTokensCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tokens",
		Short: "Create, list and revoke the HTTP API's bearer tokens",
		Long: "An API token authenticates requests to /v1 of run's HTTP " +
			"listener. Its role is viewer (read), responder (terminate, " +
			"lock, approve), policy-admin (policies, sweeps) or admin " +
			"(tokens, config); each includes the ones before it. Only the " +
			"SHA-256 of a secret is stored: create prints it once.",
	}
	cmd.AddCommand(newTokensCreateCmd(g), newTokensListCmd(g),
		newTokensRevokeCmd(g))
	return cmd
}

// tokenCreateFlags are the flags of tokens create.
type tokenCreateFlags struct {
	name, role, expires, operator string
	kinds, providers              []string
}

func newTokensCreateCmd(g *globals) *cobra.Command {
	var f tokenCreateFlags
	out := outputFlag("text")
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a token and print its secret, this once",
		Example: "  killswitch tokens create --name ops-admin --role admin\n" +
			"  killswitch tokens create --name ci --role viewer --expires 720h " +
			"--scope-kind service_account --scope-provider vault",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			spec, err := f.spec()
			if err != nil {
				return err
			}
			st, err := g.createStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			t, secret, err := api.CreateToken(cmd.Context(), st, spec)
			var fe *api.FieldError
			if errors.As(err, &fe) {
				return &exitError{code: 2, err: fmt.Errorf("--%s: %s (%q)",
					flagOf(fe.Field), fe.Reason, fe.Value)}
			}
			if err != nil {
				return err
			}
			return printNewToken(g, out, t, secret)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.name, "name", "", "what the token is for (required)")
	fl.StringVar(&f.role, "role", "", "viewer, responder, policy-admin, "+
		"admin, or ingest (may only post alerts) (required)")
	fl.StringVar(&f.expires, "expires", "",
		"when it expires: a duration from now (720h, 30d) or an RFC 3339 "+
			"time; "+
			"empty never")
	fl.StringSliceVar(&f.kinds, "scope-kind", nil,
		"limit it to principals of these kinds (repeatable)")
	fl.StringSliceVar(&f.providers, "scope-provider", nil,
		"limit it to sessions and credentials of these providers (repeatable)")
	fl.StringVar(&f.operator, "operator", currentUser(), "who creates it")
	fl.StringVarP((*string)(&out), "output", "o", "text", "output format: text or json")
	return cmd
}

// spec is the token the flags ask for.
func (f tokenCreateFlags) spec() (api.TokenSpec, error) {
	now := systemClock()
	exp, err := parseExpiry(f.expires, now)
	if err != nil {
		return api.TokenSpec{}, err
	}
	s := api.TokenSpec{Name: f.name, Role: api.Role(f.role),
		CreatedBy: "operator:" + f.operator, CreatedAt: now, ExpiresAt: exp,
		Scopes: store.TokenScopes{Providers: f.providers}}
	for _, k := range f.kinds {
		s.Scopes.PrincipalKinds = append(s.Scopes.PrincipalKinds,
			store.PrincipalKind(k))
	}
	return s, nil
}

// flagOf is the flag that sets a field of api.TokenSpec.
func flagOf(field string) string {
	switch field {
	case "expires_at":
		return "expires"
	case "scopes.principal_kinds":
		return "scope-kind"
	}
	return field
}

// printNewToken shows a new token and its secret, which is never shown
// again.
func printNewToken(g *globals, out outputFlag, t store.APIToken, secret string) error {
	if out == "json" {
		return printJSON(g.out, map[string]any{"token": t, "secret": secret})
	}
	fmt.Fprintf(g.out, "created token %s (%s, role %s); its secret, "+
		"shown this once:\n%s\n", t.ID, t.Name, t.Role, secret)
	return nil
}

func newTokensListCmd(g *globals) *cobra.Command {
	out := outputFlag("text")
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the tokens, revoked ones included (never their secrets)",
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
			ts, err := st.ListAPITokens(cmd.Context())
			if err != nil {
				return err
			}
			return printTokens(g, out, ts)
		},
	}
	cmd.Flags().StringVarP((*string)(&out), "output", "o", "text",
		"output format: text or json")
	return cmd
}

func printTokens(g *globals, out outputFlag, ts []store.APIToken) error {
	if out == "json" {
		return printJSON(g.out, nonNilSlice(ts))
	}
	tw := table(g.out, "TOKEN", "NAME", "ROLE", "SCOPES", "CREATED",
		"EXPIRES", "LAST USED", "REVOKED")
	for _, t := range ts {
		row(tw, t.ID, t.Name, t.Role, scopesText(t.Scopes), t.CreatedAt,
			t.ExpiresAt, t.LastUsedAt, t.RevokedAt)
	}
	return tw.Flush()
}

// scopesText is a token's scopes in a table cell.
func scopesText(s store.TokenScopes) string {
	var parts []string
	for _, k := range s.PrincipalKinds {
		parts = append(parts, "kind:"+string(k))
	}
	for _, p := range s.Providers {
		parts = append(parts, "provider:"+p)
	}
	return strings.Join(parts, ",")
}

func newTokensRevokeCmd(g *globals) *cobra.Command {
	var operator string
	out := outputFlag("text")
	cmd := &cobra.Command{
		Use:   "revoke TOKEN_ID",
		Short: "Revoke a token: requests with it are refused from now on",
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
			t, err := api.RevokeToken(cmd.Context(), st, args[0],
				"operator:"+operator, systemClock())
			if errors.Is(err, store.ErrNotFound) {
				return &exitError{code: 2, err: err}
			}
			if err != nil {
				return err
			}
			return printTokens(g, out, []store.APIToken{t})
		},
	}
	cmd.Flags().StringVar(&operator, "operator", currentUser(), "who revokes it")
	cmd.Flags().StringVarP((*string)(&out), "output", "o", "text",
		"output format: text or json")
	return cmd
}
