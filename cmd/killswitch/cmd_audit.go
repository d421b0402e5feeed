package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/killswitch-dev/killswitch/store"
)

func newAuditCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Read and verify the hash-chained audit trail",
	}
	cmd.AddCommand(newAuditListCmd(g), newAuditVerifyCmd(g))
	return cmd
}

func newAuditListCmd(g *globals) *cobra.Command {
	var f store.AuditFilter
	var last int
	out := outputFlag("text")
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List audit entries in order",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			if err := checkLimit(f.Limit); err != nil {
				return err
			}
			if err := lastEntries(&f, last); err != nil {
				return err
			}
			st, err := g.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			entries, err := st.ListAudit(cmd.Context(), f)
			if err != nil {
				return err
			}
			if out == "json" {
				return printJSON(g.out, nonNilSlice(entries))
			}
			tw := table(g.out, "SEQ", "TIME", "ACTOR", "EVENT", "SUBJECT", "DETAILS")
			for _, e := range entries {
				row(tw, e.Seq, e.Time, e.Actor, e.Event, e.Subject, string(e.Details))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().Int64Var(&f.AfterSeq, "after", 0, "only entries after this sequence number")
	cmd.Flags().StringVar(&f.Subject, "subject", "", "only entries about this subject")
	cmd.Flags().IntVar(&f.Limit, "limit", 0, "at most this many (0: all)")
	cmd.Flags().IntVar(&last, "last", 0,
		"only the last N entries that match, still oldest first")
	cmd.Flags().StringVarP((*string)(&out), "output", "o", "text", "output format: text or json")
	return cmd
}

// lastEntries narrows f to the last n entries; --limit counts from the
// first, so the two together are refused.
func lastEntries(f *store.AuditFilter, n int) error {
	switch {
	case n < 0:
		return &exitError{code: 2,
			err: fmt.Errorf("--last: %d is negative", n)}
	case n > 0 && f.Limit > 0:
		return &exitError{code: 2, err: fmt.Errorf("--last %d and "+
			"--limit %d: give one (--limit counts from the first)",
			n, f.Limit)}
	case n > 0:
		f.Limit, f.Latest = n, true
	}
	return nil
}

func newAuditVerifyCmd(g *globals) *cobra.Command {
	var heads []string
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check the audit hash chain; exit 1 at the first bad entry",
		Long: `verify walks the whole audit trail and checks each entry's hash and its
link to the one before, then prints the head (the newest entry, as
SEQ:HASH). The chain proves that no entry was changed, but not
that the newest entries are all there: whoever can write the
registry can delete its tail. Keep heads outside the registry (run logs
one, "audit head", at start-up and every --audit-head-every) and give
them back with --head: a trail that no longer holds one with the same
hash exits 1.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			want := make([]store.AuditHead, 0, len(heads))
			for _, h := range heads {
				head, err := store.ParseAuditHead(h)
				if err != nil {
					return &exitError{code: 2, err: fmt.Errorf("--head: %w", err)}
				}
				want = append(want, head)
			}
			st, err := g.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			n, err := store.VerifyAudit(cmd.Context(), st)
			var ce *store.ChainError
			if errors.As(err, &ce) {
				return &exitError{code: 1, err: fmt.Errorf(
					"audit chain broken after %d good entries: %w", n, err)}
			}
			if err != nil {
				return err
			}
			for _, h := range want {
				err := store.CheckAuditHead(cmd.Context(), st, n, h)
				if errors.As(err, &ce) {
					return &exitError{code: 1, err: fmt.Errorf(
						"audit trail does not hold the head %s: %w", h, err)}
				}
				if err != nil {
					return err
				}
			}
			fmt.Fprintf(g.out, "audit chain intact: %d entries\n", n)
			if n > 0 {
				head, err := store.AuditHeadAt(cmd.Context(), st, n)
				if err != nil {
					return err
				}
				fmt.Fprintf(g.out, "head: %s\n", head)
			}
			if len(want) > 0 {
				fmt.Fprintf(g.out, "holds the %d head(s) given\n", len(want))
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&heads, "head", nil,
		"SEQ:HASH of an entry recorded earlier, which the trail must still hold (repeatable)")
	return cmd
}
