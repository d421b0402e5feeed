package main

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// TestFlagHelpShowsEachValueAsOneWord holds every flag of every command
// to a help line that reads "--name type": pflag takes a `quoted` word
// in a flag's usage for the name of its value, so a usage quoting a
// command printed "--audit-head-every audit verify --head" in run --help.
func TestFlagHelpShowsEachValueAsOneWord(t *testing.T) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		check := func(f *pflag.Flag) {
			name, _ := pflag.UnquoteUsage(f)
			if strings.ContainsAny(name, " -") {
				t.Errorf("%s --%s: help shows its value as %q",
					c.CommandPath(), f.Name, name)
			}
		}
		c.LocalFlags().VisitAll(check)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd())
}
