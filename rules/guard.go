package rules

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// GuardData is what a policy set's data says to the guardrails, which
// apply it whatever the policies decide:
//
//	{"killswitch": {
//	  "break_glass": {"principals": ["root-admin"]},
//	  "budgets": [{"name": "sa-credential-revocations", "limit": 20,
//	    "window": "1h", "kind": "revoke_credential",
//	    "principal_kind": "service_account"}]}}
//
// Break-glass principals are never acted on automatically. A budget
// bounds how many actions run on their own per window; kind, policy (an
// action's rule) and principal_kind narrow it.
type GuardData struct {
	BreakGlass []string
	Budgets    []store.Budget
}

var (
	breakGlassPath = []string{"killswitch", "break_glass", "principals"}
	budgetsPath    = []string{"killswitch", "budgets"}
)

// Guard is the guard data of the set.
func (p *PolicySet) Guard() GuardData { return p.guard }

// readGuard checks and returns the guard data. file names the data file
// that set it, for errors.
func readGuard(doc map[string]any, files []policyFile) (GuardData, error) {
	var g GuardData
	if v, ok := lookupData(doc, breakGlassPath); ok {
		ids, err := stringList(v)
		if err != nil {
			return g, dataError(guardFile(files, "break_glass"),
				"data.killswitch.break_glass.principals: %v", err)
		}
		g.BreakGlass = ids
	}
	v, ok := lookupData(doc, budgetsPath)
	if !ok {
		return g, nil
	}
	list, isList := v.([]any)
	if !isList {
		return g, dataError(guardFile(files, "budgets"), "data.killswitch."+
			"budgets: want an array of budgets, got %s", jsonType(v))
	}
	for i, b := range list {
		budget, err := ParseBudget(b)
		if err != nil {
			return g, dataError(guardFile(files, "budgets"),
				"data.killswitch.budgets[%d]%v", i, err)
		}
		g.Budgets = append(g.Budgets, budget)
	}
	return g, nil
}

func stringList(v any) ([]string, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("want an array of principal ids, got %s",
			jsonType(v))
	}
	out := make([]string, len(list))
	for i, e := range list {
		if out[i], ok = e.(string); !ok || out[i] == "" {
			return nil, fmt.Errorf("[%d]: want a principal id, got %s", i,
				describe(e))
		}
	}
	return out, nil
}

// budgetData is a budget as policy data spells it.
type budgetData struct {
	Name          string `json:"name"`
	Limit         *int   `json:"limit"`
	Window        string `json:"window"`
	Kind          string `json:"kind"`
	Policy        string `json:"policy"`
	PrincipalKind string `json:"principal_kind"`
}

// ParseBudget reads one budget as policy data and the run config spell
// it (decoded JSON): {"name", "limit", "window" (a Go duration), and
// optionally "kind", "policy", "principal_kind"}. Its errors start with
// the path below the budget (".window: ...").
func ParseBudget(v any) (store.Budget, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return store.Budget{}, fmt.Errorf(": %w", err)
	}
	var d budgetData
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return store.Budget{}, fmt.Errorf(": %v", err)
	}
	return d.budget()
}

// budget checks d: a name, a limit of 0 or more, a positive window, a
// known kind and principal kind when given.
func (d budgetData) budget() (store.Budget, error) {
	w, err := time.ParseDuration(d.Window)
	switch {
	case d.Name == "":
		return store.Budget{}, fmt.Errorf(".name: required")
	case d.Limit == nil || *d.Limit < 0:
		return store.Budget{}, fmt.Errorf(".limit: want a number of 0 or more")
	case err != nil || w <= 0:
		return store.Budget{}, fmt.Errorf(".window: want a positive Go "+
			"duration (\"1h\"), got %q", d.Window)
	case d.Kind != "" && targetTypes[d.Kind] == nil:
		return store.Budget{}, fmt.Errorf(".kind: unknown action kind %q", d.Kind)
	case d.PrincipalKind != "" && !store.PrincipalKind(d.PrincipalKind).Valid():
		return store.Budget{}, fmt.Errorf(".principal_kind: unknown "+
			"principal kind %q", d.PrincipalKind)
	}
	return store.Budget{Name: d.Name, Limit: *d.Limit, Window: w,
		Kind: d.Kind, Policy: d.Policy,
		PrincipalKind: store.PrincipalKind(d.PrincipalKind)}, nil
}

// guardFile guesses the data file that declares key: the first that
// mentions it.
func guardFile(files []policyFile, key string) string {
	for _, f := range files {
		if bytes.Contains(f.src, []byte(key)) {
			return f.name
		}
	}
	return ""
}
