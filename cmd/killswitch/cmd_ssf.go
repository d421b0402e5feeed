package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	"github.com/spf13/cobra"

	"github.com/killswitch-dev/killswitch/propagation"
	"github.com/killswitch-dev/killswitch/store"
)

func newSSFCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ssf",
		Short: "Inspect the Shared Signals transmitter: signing keys, streams",
		Long: "run --ssf-issuer serves the transmitter; these commands read " +
			"and rotate what it keeps in the registry. No command prints a " +
			"private key or a stream's secret.",
	}
	keys := &cobra.Command{Use: "keys", Short: "List and rotate the SET signing keys"}
	keys.AddCommand(newSSFKeysListCmd(g), newSSFKeysRotateCmd(g))
	streams := &cobra.Command{Use: "streams", Short: "List the receivers' streams and webhooks"}
	streams.AddCommand(newSSFStreamsListCmd(g))
	cmd.AddCommand(keys, streams)
	return cmd
}

// keyView is a signing key as listed: never its private half.
type keyView struct {
	ID        string    `json:"kid"`
	Algorithm string    `json:"alg"`
	CreatedAt time.Time `json:"created_at"`
	RetiredAt time.Time `json:"retired_at,omitzero"`
}

func newSSFKeysListCmd(g *globals) *cobra.Command {
	out := outputFlag("text")
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the signing keys, newest (the active one) first",
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
			keys, err := st.ListSigningKeys(cmd.Context())
			if err != nil {
				return err
			}
			views := make([]keyView, 0, len(keys))
			for _, k := range keys {
				views = append(views, keyView{ID: k.ID, Algorithm: k.Algorithm,
					CreatedAt: k.CreatedAt, RetiredAt: k.RetiredAt})
			}
			return printKeys(g, out, views)
		},
	}
	cmd.Flags().StringVarP((*string)(&out), "output", "o", "text",
		"output format: text or json")
	return cmd
}

func printKeys(g *globals, out outputFlag, keys []keyView) error {
	if out == "json" {
		return printJSON(g.out, keys)
	}
	tw := table(g.out, "KID", "ALG", "CREATED", "RETIRED")
	for _, k := range keys {
		row(tw, k.ID, k.Algorithm, k.CreatedAt, k.RetiredAt)
	}
	return tw.Flush()
}

func newSSFKeysRotateCmd(g *globals) *cobra.Command {
	var alg, operator string
	cmd := &cobra.Command{
		Use:   "rotate",
		Short: "Make a new signing key active; the old one stays published for the grace period",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if alg != "ES256" && alg != "RS256" {
				return &exitError{code: 2, err: fmt.Errorf(
					"--alg: %q is not ES256 or RS256", alg)}
			}
			st, err := g.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			kid, err := propagation.NewKeys(st, alg, 0, systemClock).Rotate(cmd.Context())
			if err != nil {
				return fmt.Errorf("rotate signing key: %w", err)
			}
			err = st.AppendAudit(cmd.Context(), store.AuditEntry{
				Time: systemClock(), Actor: "operator:" + operator,
				Event: propagation.EventSigningRotation, Subject: kid,
				Details: json.RawMessage(fmt.Sprintf(`{"alg":%q}`, alg))})
			if err != nil {
				return fmt.Errorf("audit the rotation of %s: %w", kid, err)
			}
			fmt.Fprintln(g.out, kid)
			return nil
		},
	}
	cmd.Flags().StringVar(&alg, "alg", "ES256", "algorithm of the new key: ES256 or RS256")
	cmd.Flags().StringVar(&operator, "operator", currentUser(), "who rotates")
	return cmd
}

// streamView is a stream as listed: its endpoint's host, never its
// secrets, and how its deliveries stand.
type streamView struct {
	ID       string   `json:"stream_id"`
	Method   string   `json:"method"`
	Host     string   `json:"endpoint_host,omitempty"`
	Status   string   `json:"status"`
	Events   []string `json:"events_delivered"`
	Pending  int      `json:"pending"`
	Failed   int      `json:"failed"`
	Excluded int      `json:"excluded_subjects"`
}

func newSSFStreamsListCmd(g *globals) *cobra.Command {
	out := outputFlag("text")
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List streams and webhooks with their pending and failed deliveries",
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
			views, err := streamViews(cmd, st)
			if err != nil {
				return err
			}
			return printStreams(g, out, views)
		},
	}
	cmd.Flags().StringVarP((*string)(&out), "output", "o", "text",
		"output format: text or json")
	return cmd
}

func streamViews(cmd *cobra.Command, st store.Store) ([]streamView, error) {
	streams, err := st.ListStreams(cmd.Context())
	if err != nil {
		return nil, err
	}
	views := make([]streamView, 0, len(streams))
	for _, s := range streams {
		v := streamView{ID: s.ID, Method: s.Method, Status: s.Status,
			Events: nonNilSlice(s.EventsDelivered), Excluded: len(s.Excluded)}
		if u, err := url.Parse(s.EndpointURL); err == nil {
			v.Host = u.Host
		}
		for state, n := range map[string]*int{store.DeliveryPending: &v.Pending,
			store.DeliveryFailed: &v.Failed} {
			ds, err := st.ListDeliveries(cmd.Context(),
				store.DeliveryFilter{StreamID: s.ID, State: state})
			if err != nil {
				return nil, err
			}
			*n = len(ds)
		}
		views = append(views, v)
	}
	return views, nil
}

func printStreams(g *globals, out outputFlag, views []streamView) error {
	if out == "json" {
		return printJSON(g.out, views)
	}
	tw := table(g.out, "STREAM", "METHOD", "HOST", "STATUS", "EVENTS",
		"PENDING", "FAILED")
	for _, v := range views {
		row(tw, v.ID, v.Method, v.Host, v.Status, len(v.Events), v.Pending, v.Failed)
	}
	return tw.Flush()
}
