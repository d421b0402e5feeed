package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// deniedBuiltins are the built-in functions a killswitch policy may not
// call, with the reason given when one does. A decision must follow from
// its input alone: it is replayed, explained and audited later.
var deniedBuiltins = map[string]string{
	"http.send":          "policies may not make network calls",
	"net.lookup_ip_addr": "policies may not make network calls",
	"opa.runtime":        "policies may not read the runtime environment",
}

// capabilities are this OPA version's, less the denied built-ins, so a
// policy that calls one fails to compile.
func capabilities() *ast.Capabilities {
	caps := ast.CapabilitiesForThisVersion()
	caps.Builtins = slices.DeleteFunc(caps.Builtins, func(b *ast.Builtin) bool {
		_, denied := deniedBuiltins[b.Name]
		return denied
	})
	return caps
}

// explainDenied adds the reason to the compiler's "undefined function"
// message when the function is one killswitch denies.
func explainDenied(msg string) string {
	name, ok := strings.CutPrefix(msg, "undefined function ")
	if !ok {
		return msg
	}
	why, denied := deniedBuiltins[name]
	if !denied {
		return msg
	}
	return fmt.Sprintf("%s (not available in killswitch: %s)", msg, why)
}
