package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/killswitch-dev/killswitch/store/inventory"
)

func newImportCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "import FILE",
		Short: "Load an inventory of principals, aliases, sessions and credentials",
		Long: "import reads an inventory file (YAML or JSON) and writes it " +
			"into the registry. The whole file is checked before anything " +
			"is written. Records with the same id are replaced, except " +
			"for what the registry learnt since: a session or credential " +
			"revoked here stays revoked, and a principal's status, a " +
			"creation time or an exposure the file leaves out is kept.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := inventory.Load(args[0])
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			st, err := g.createStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			n, err := f.Import(cmd.Context(), st, systemClock())
			if err != nil {
				return fmt.Errorf("import %s: stopped after %s "+
					"(the rest is not written: import the file again once the "+
					"cause is gone): %w",
					args[0], n, err)
			}
			fmt.Fprintf(g.out, "imported %s from %s\n", n, args[0])
			return nil
		},
	}
}
