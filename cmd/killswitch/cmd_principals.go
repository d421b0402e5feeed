package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/killswitch-dev/killswitch/store"
)

// principalsFlags are the flags of principals list.
type principalsFlags struct {
	kind     string
	provider string
	alias    string
	status   string
	after    string
	limit    int
	output   outputFlag
}

// principalStatuses are the values the registry gives a principal's
// status.
var principalStatuses = []string{"active", "disabled"}

func newPrincipalsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "principals",
		Short: "Inspect the principals in the registry",
	}
	cmd.AddCommand(newPrincipalsListCmd(g), newPrincipalsShowCmd(g))
	return cmd
}

func newPrincipalsListCmd(g *globals) *cobra.Command {
	f := &principalsFlags{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List principals, filtered by kind, provider, alias, status",
		Long: "list lists principals in id order. --alias finds those an " +
			"identifier names, whatever system it comes from; --limit " +
			"with --after pages through a large registry: when a page is " +
			"full, the next one starts after its last id.",
		Example: "  killswitch principals list --kind agent --provider openai\n" +
			"  killswitch principals list --alias alice@example.com",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPrincipalsList(cmd, g, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.kind, "kind", "",
		"only this kind: human, service_account, api_client, agent, workload")
	fl.StringVar(&f.provider, "provider", "",
		"only principals with a session or credential at this provider")
	fl.StringVar(&f.alias, "alias", "",
		"only principals this identifier names, of any alias type")
	fl.StringVar(&f.status, "status", "", "only this status: active, disabled")
	fl.StringVar(&f.after, "after", "", "only principals whose id sorts after this one")
	fl.IntVar(&f.limit, "limit", 0, "at most this many (0: all)")
	fl.StringVarP((*string)(&f.output), "output", "o", "text", "output format: text or json")
	return cmd
}

// filter is the store filter the flags ask for, or a usage error naming
// the bad flag and its value.
func (f *principalsFlags) filter() (store.PrincipalFilter, error) {
	if err := f.output.validate(); err != nil {
		return store.PrincipalFilter{}, err
	}
	if err := checkLimit(f.limit); err != nil {
		return store.PrincipalFilter{}, err
	}
	var kinds []string
	for _, k := range []store.PrincipalKind{store.KindHuman,
		store.KindServiceAccount, store.KindAPIClient, store.KindAgent,
		store.KindWorkload} {
		kinds = append(kinds, string(k))
	}
	if err := checkChoice("--kind", f.kind, kinds); err != nil {
		return store.PrincipalFilter{}, err
	}
	if err := checkChoice("--status", f.status, principalStatuses); err != nil {
		return store.PrincipalFilter{}, err
	}
	pf := store.PrincipalFilter{Kind: store.PrincipalKind(f.kind),
		Status: f.status, AfterID: f.after, Limit: f.limit}
	if f.provider != "" {
		pf.Providers = []string{f.provider}
	}
	return pf, nil
}

func runPrincipalsList(cmd *cobra.Command, g *globals, f *principalsFlags) error {
	pf, err := f.filter()
	if err != nil {
		return err
	}
	st, err := g.openStore(cmd.Context())
	if err != nil {
		return err
	}
	defer st.Close()
	var ps []store.Principal
	if f.alias != "" {
		ps, err = principalsByAlias(cmd.Context(), st, f.alias, pf)
	} else {
		ps, err = st.ListPrincipals(cmd.Context(), pf)
	}
	if err != nil {
		return err
	}
	if f.output == "json" {
		return printJSON(g.out, nonNilSlice(ps))
	}
	if err := printPrincipals(g, ps); err != nil {
		return err
	}
	if f.limit > 0 && len(ps) == f.limit {
		fmt.Fprintf(g.errOut, "next page: --after %s\n", ps[len(ps)-1].ID)
	}
	return nil
}

// principalsByAlias returns the principals value names, as an alias of
// any type, that match pf, in id order.
func principalsByAlias(ctx context.Context, st store.Store, value string,
	pf store.PrincipalFilter) ([]store.Principal, error) {
	aliases, err := st.FindAliases(ctx, value)
	if err != nil {
		return nil, err
	}
	var out []store.Principal
	for _, a := range aliases {
		if a.PrincipalID <= pf.AfterID ||
			(len(out) > 0 && out[len(out)-1].ID == a.PrincipalID) {
			continue
		}
		p, err := st.GetPrincipal(ctx, a.PrincipalID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		ok, err := principalMatches(ctx, st, p, pf)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, p)
		}
		if pf.Limit > 0 && len(out) == pf.Limit {
			break
		}
	}
	return out, nil
}

// principalMatches applies the kind, status and provider of pf to p.
func principalMatches(ctx context.Context, st store.Store, p store.Principal,
	pf store.PrincipalFilter) (bool, error) {
	if (pf.Kind != "" && p.Kind != pf.Kind) ||
		(pf.Status != "" && p.Status != pf.Status) {
		return false, nil
	}
	if len(pf.Providers) == 0 {
		return true, nil
	}
	ses, err := st.ListSessions(ctx, store.SessionFilter{PrincipalID: p.ID,
		Providers: pf.Providers, Limit: 1})
	if err != nil || len(ses) > 0 {
		return len(ses) > 0, err
	}
	cs, err := st.ListCredentials(ctx, store.CredentialFilter{
		PrincipalID: p.ID, Stores: pf.Providers, Limit: 1})
	return len(cs) > 0, err
}

func printPrincipals(g *globals, ps []store.Principal) error {
	tw := table(g.out, "PRINCIPAL", "KIND", "STATUS", "DISPLAY NAME",
		"OWNER", "BREAK-GLASS", "CREATED")
	for _, p := range ps {
		bg := ""
		if p.BreakGlass {
			bg = "yes"
		}
		row(tw, p.ID, string(p.Kind), p.Status, p.DisplayName, p.Owner, bg,
			p.CreatedAt)
	}
	return tw.Flush()
}

// labelList shows labels as k=v pairs in key order.
func labelList(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		keys[i] = k + "=" + labels[k]
	}
	return strings.Join(keys, ",")
}
