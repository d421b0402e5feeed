package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// globals are the flags every subcommand shares.
type globals struct {
	storePath string
	logLevel  string
	logFormat string
	out       io.Writer
	errOut    io.Writer
}

func newRootCmd() *cobra.Command {
	g := &globals{out: newSafeWriter(os.Stdout),
		errOut: newSafeWriter(os.Stderr)}
	root := &cobra.Command{
		Use:   "killswitch",
		Short: "Cut every live session and credential of a compromised identity",
		Long: "killswitch reads SIEM alerts, evaluates them against Rego " +
			"policies and revokes the sessions and credentials of the " +
			"principals they name, with an audit trail.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &exitError{code: 2, err: err}
	})
	root.PersistentFlags().StringVar(&g.storePath, "store", "killswitch.db",
		"registry: path of the SQLite database file, or a postgres:// "+
			"URL of a PostgreSQL database shared by several instances")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "info",
		"log level: debug, info, warn, error")
	root.PersistentFlags().StringVar(&g.logFormat, "log-format", "text",
		"log format: text or json")
	root.AddCommand(newRunCmd(g), newDemoCmd(g), newImportCmd(g),
		newSessionsCmd(g), newRevokeCmd(g), newSendCmd(g), newAuditCmd(g),
		newSignalsCmd(g), newSyncCmd(g))
	root.AddCommand(newLocksCmd(g), newApprovalsCmd(g))
	root.AddCommand(newPolicyCmd(g))
	root.AddCommand(newSSFCmd(g))
	root.AddCommand(newSweepCmd(g), newCredentialsCmd(g), newPrincipalsCmd(g))
	root.AddCommand(newTokensCmd(g), newBenchCmd(g))
	argsAreUsage(root)
	return root
}

// argsAreUsage makes a wrong number of arguments, on cmd and every
// command below it, a usage error (exit 2) like a bad flag.
func argsAreUsage(cmd *cobra.Command) {
	if check := cmd.Args; check != nil {
		cmd.Args = func(c *cobra.Command, args []string) error {
			if err := check(c, args); err != nil {
				return &exitError{code: 2, err: err}
			}
			return nil
		}
	}
	for _, sub := range cmd.Commands() {
		argsAreUsage(sub)
	}
}

// logger builds the process logger on stderr.
func (g *globals) logger() (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(g.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level: %q is not debug, info, warn or error", g.logLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(g.logFormat) {
	case "text":
		return slog.New(slog.NewTextHandler(g.errOut, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(g.errOut, opts)), nil
	}
	return nil, fmt.Errorf("--log-format: %q is not text or json", g.logFormat)
}

// exitError carries a specific exit code (1 for a failed check, 2 for
// bad usage).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

func (e *exitError) Unwrap() error { return e.err }

func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}
