package main

import (
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/killswitch-dev/killswitch/duration"
	"github.com/killswitch-dev/killswitch/store"
)

type credentialsFlags struct {
	principal  string
	status     string
	exposed    bool
	stillValid bool
	olderThan  string
	limit      int
	output     outputFlag
}

func newCredentialsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "credentials",
		Short: "Inspect the credentials in the registry and their exposures",
	}
	cmd.AddCommand(newCredentialsListCmd(g))
	return cmd
}

func newCredentialsListCmd(g *globals) *cobra.Command {
	f := &credentialsFlags{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List credentials; --exposed lists those the exposure ledger holds",
		Long: "list lists credentials. With --exposed it lists those with an " +
			"exposure in the ledger, first exposed first, with where and by " +
			"what they leaked and what their issuer said when last asked; " +
			"--still-valid keeps those it said still work, and --older-than " +
			"those first exposed longer ago than an age (5d, 36h).",
		Example: "  killswitch credentials list --exposed --still-valid --older-than 5d",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runCredentialsList(cmd, g, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.principal, "principal", "", "only this principal's credentials")
	fl.StringVar(&f.status, "status", "", "only this status: active, revoked, expired")
	fl.BoolVar(&f.exposed, "exposed", false, "only exposed credentials")
	fl.BoolVar(&f.stillValid, "still-valid", false,
		"only exposed credentials their issuer last said still work (implies --exposed)")
	fl.StringVar(&f.olderThan, "older-than", "",
		"only credentials first exposed longer ago than this: 5d, 36h (implies --exposed)")
	fl.IntVar(&f.limit, "limit", 0, "at most this many (0: all)")
	fl.StringVarP((*string)(&f.output), "output", "o", "text", "output format: text or json")
	return cmd
}

func runCredentialsList(cmd *cobra.Command, g *globals, f *credentialsFlags) error {
	if err := f.output.validate(); err != nil {
		return err
	}
	if err := checkLimit(f.limit); err != nil {
		return err
	}
	ef, err := f.exposedFilter(systemClock())
	if err != nil {
		return err
	}
	st, err := g.openStore(cmd.Context())
	if err != nil {
		return err
	}
	defer st.Close()
	if !f.exposed && !f.stillValid && f.olderThan == "" {
		cs, err := st.ListCredentials(cmd.Context(), store.CredentialFilter{
			PrincipalID: f.principal, Status: f.status, Limit: f.limit})
		if err != nil {
			return err
		}
		if f.output == "json" {
			return printJSON(g.out, nonNilSlice(cs))
		}
		defer noteNone(g, len(cs), "no credential matches")
		return printCredentials(g, cs)
	}
	exposed, err := st.ListExposedCredentials(cmd.Context(), ef)
	if err != nil {
		return err
	}
	if f.output == "json" {
		return printJSON(g.out, nonNilSlice(exposed))
	}
	defer noteNone(g, len(exposed), "no credential matches")
	return printExposed(g, exposed, systemClock())
}

// exposedFilter is the store filter the flags ask for.
func (f *credentialsFlags) exposedFilter(now time.Time) (store.ExposedFilter, error) {
	ef := store.ExposedFilter{PrincipalID: f.principal, Status: f.status, StillValid: f.stillValid,
		Limit: f.limit}
	if f.olderThan != "" {
		age, err := parseAge(f.olderThan)
		if err != nil {
			return ef, &exitError{code: 2, err: fmt.Errorf("--older-than: %w", err)}
		}
		ef.ExposedBefore = now.Add(-age)
	}
	return ef, nil
}

// parseAge reads an age: a Go duration (36h) or a whole number of days
// (5d).
func parseAge(v string) (time.Duration, error) {
	d, err := duration.Parse(v)
	if err != nil {
		return 0, err
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q is not a positive age such as 5d or 36h", v)
	}
	return d, nil
}

func printCredentials(g *globals, cs []store.Credential) error {
	tw := table(g.out, "CREDENTIAL", "PRINCIPAL", "KIND", "STORE", "STATUS",
		"CREATED", "EXPOSED")
	for _, c := range cs {
		var exposed time.Time
		if c.Exposure != nil {
			exposed = c.Exposure.At
		}
		row(tw, c.ID, c.PrincipalID, c.Kind, c.Store, c.Status, c.CreatedAt,
			exposed)
	}
	return tw.Flush()
}

func printExposed(g *globals, xs []store.ExposedCredential, now time.Time) error {
	tw := table(g.out, "CREDENTIAL", "PRINCIPAL", "STORE", "STATUS",
		"FIRST EXPOSED", "DAYS", "SOURCE", "WHERE", "VALIDITY", "CHECKED")
	for _, x := range xs {
		c, first := x.Credential, x.FirstSeen()
		v, checked := x.Checked()
		validity := string(v)
		if validity == "" {
			validity = "not checked"
		}
		e := x.Exposures[0]
		row(tw, c.ID, c.PrincipalID, c.Store, c.Status, first,
			strconv.Itoa(int(now.Sub(first)/(24*time.Hour))), e.Source,
			e.Where, validity, checked)
	}
	return tw.Flush()
}
