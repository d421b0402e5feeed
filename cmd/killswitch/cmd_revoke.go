package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/store"
)

func newRevokeCmd(g *globals) *cobra.Command {
	var req engine.ManualRequest
	var brokers, topic, configPath, issuer string
	cmd := &cobra.Command{
		Use:   "revoke",
		Short: "Revoke a session, all of a principal's sessions, or a credential",
		Long: "revoke cuts access now, audited with you as the actor. " +
			"--credential revokes the credential and every session it backs.",
		Example: "  killswitch revoke --principal alice --reason \"phished, INC-4711\"",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRevoke(cmd, g, req, revokeOutputs{brokers: brokers,
				topic: topic, config: configPath, issuer: issuer})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&req.SessionID, "session", "", "revoke this session")
	fl.StringVar(&req.PrincipalID, "principal", "", "revoke every live session of this principal")
	fl.StringVar(&req.CredentialID, "credential", "", "revoke this credential and the sessions it backs")
	fl.StringVar(&req.Reason, "reason", "", "why (required; goes to the audit trail)")
	fl.StringVar(&req.Operator, "operator", currentUser(), "who is revoking")
	fl.StringVar(&brokers, "kafka-brokers", "",
		"also publish revocation events to these brokers")
	fl.StringVar(&topic, "revocations-topic", engine.DefaultRevocationsTopic,
		"topic for revocation events")
	fl.StringVar(&configPath, "config", "",
		"config file (YAML) with a connectors section; none revokes in the registry only")
	addSSFIssuerFlag(fl, &issuer)
	return cmd
}

// revokeOutputs are where revoke carries its revocations besides the
// registry: providers (the config's connectors), a Kafka topic, the
// registry's Shared Signals streams.
type revokeOutputs struct {
	brokers, topic, config, issuer string
}

func runRevoke(cmd *cobra.Command, g *globals, req engine.ManualRequest,
	o revokeOutputs) error {
	log, err := g.logger()
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	st, err := g.openStore(cmd.Context())
	if err != nil {
		return err
	}
	defer st.Close()
	conns, err := buildConnectors(o.config, log)
	if err != nil {
		return err
	}
	tx, err := cliTransmitter(cmd.Context(), st, o.issuer, log)
	if err != nil {
		return err
	}
	var kafka engine.Publisher
	if o.brokers != "" {
		list, err := brokerList(o.brokers)
		if err != nil {
			return err
		}
		kp := engine.NewKafkaPublisher(list, o.topic)
		defer kp.Close()
		kafka = kp
	}
	x := engine.NewExecutor(st, conns, publishers(kafka, tx), engine.ExecutorConfig{
		Owner: "cli:" + req.Operator}, systemClock, log)
	acts, err := x.Revoke(cmd.Context(), st, req)
	if errors.Is(err, engine.ErrBadRequest) {
		return &exitError{code: 2, err: fmt.Errorf("revoke: %w", err)}
	}
	if err != nil {
		return fmt.Errorf("revoke: %w", err)
	}
	return printRevoked(g, acts)
}

func printRevoked(g *globals, acts []store.Action) error {
	unfinished := map[string]int{}
	for _, a := range acts {
		fmt.Fprintf(g.out, "%s %s:%s: %s%s\n", a.Kind, a.TargetType,
			oneLine(a.TargetID), a.State, describeRevoked(a))
		if a.State != store.ActionDone {
			unfinished[a.State]++
			fmt.Fprintf(g.out, "  last error: %s\n", oneLine(a.LastError))
		}
	}
	switch {
	case unfinished[store.ActionFailed] > 0:
		return &exitError{code: 1, err: fmt.Errorf("%d action(s) failed "+
			"for good; see the last error", unfinished[store.ActionFailed])}
	case len(unfinished) > 0:
		return &exitError{code: 1, err: errors.New("not every action is " +
			"done; a pending one is retried by `killswitch run`")}
	}
	return nil
}

// revokedResult is the part of an action's result the CLI reports: the
// sessions revoked, or the credential, and what each provider answered.
type revokedResult struct {
	Sessions      []string          `json:"sessions"`
	ProviderCalls map[string]string `json:"provider_calls"`
	Credential    string            `json:"credential"`
	ProviderCall  string            `json:"provider_call"`
}

// describeRevoked says what a finished revocation cut, and warns of what
// was cut in the registry only: a responder must not take a session
// marked revoked here for one its provider no longer honours.
func describeRevoked(a store.Action) string {
	var r revokedResult
	if a.State != store.ActionDone || json.Unmarshal(a.Result, &r) != nil {
		return ""
	}
	if r.Credential != "" {
		r.ProviderCalls = map[string]string{r.Credential: r.ProviderCall}
	}
	var b strings.Builder
	switch {
	case r.Credential != "":
		fmt.Fprintf(&b, ": credential %s revoked", r.Credential)
	case len(r.Sessions) == 0:
		b.WriteString(": no live session to revoke")
	default:
		fmt.Fprintf(&b, ": %d session(s) revoked: %s", len(r.Sessions),
			strings.Join(r.Sessions, ", "))
	}
	if ids := callsLike(r.ProviderCalls, "registry_only"); len(ids) > 0 {
		fmt.Fprintf(&b, "\n  revoked in the registry only, not at the "+
			"provider (no connector for it: give --config with a "+
			"connectors section): %s", strings.Join(ids, ", "))
	}
	if ids := callsLike(r.ProviderCalls, "unsupported"); len(ids) > 0 {
		fmt.Fprintf(&b, "\n  revoked in the registry only, not at the "+
			"provider (its connector cannot revoke it): %s",
			strings.Join(ids, ", "))
	}
	return b.String()
}

// callsLike lists, sorted, the ids whose provider call answered outcome.
func callsLike(calls map[string]string, outcome string) []string {
	var ids []string
	for id, call := range calls {
		if call == outcome || strings.HasPrefix(call, outcome+":") {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

func currentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return os.Getenv("USER")
}
