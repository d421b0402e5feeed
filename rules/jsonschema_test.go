package rules

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/invopop/jsonschema"
	orderedmap "github.com/pb33f/ordered-map/v2"
	validator "github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/killswitch-dev/killswitch/store"
)

var updateSchemas = flag.Bool("update-schemas", false,
	"rewrite the JSON Schemas in policies/schema from the Go types")

const schemaDir = "../policies/schema/"

// TestCheckedInSchemasAreCurrent generates the JSON Schemas of Input and
// Decision from the Go types with invopop/jsonschema and fails when the
// files in policies/schema differ: a change to the contract's types must
// regenerate them (go test ./rules -run Schemas -update-schemas).
func TestCheckedInSchemasAreCurrent(t *testing.T) {
	for name, doc := range map[string]*jsonschema.Schema{
		"input.json": inputJSONSchema(), "decision.json": decisionJSONSchema(),
	} {
		got, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, '\n')
		if *updateSchemas {
			if err := os.WriteFile(schemaDir+name, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(schemaDir + name)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("policies/schema/%s is stale (%v): regenerate it with "+
				"go test ./rules -run Schemas -update-schemas", name, err)
		}
	}
}

func reflector() *jsonschema.Reflector {
	return &jsonschema.Reflector{ExpandedStruct: true}
}

func inputJSONSchema() *jsonschema.Schema {
	s := reflector().Reflect(&Input{})
	s.ID = "https://killswitch.dev/schema/input.json"
	s.Title = "killswitch policy input (input in data.killswitch.response.decision)"
	return s
}

// decisionJSONSchema is the Decision's schema with what the types alone
// do not say: the closed sets of kinds, target types, severities and
// modes, which target types each kind takes, and that scope and ttl
// belong to revoke_sessions and lock.
func decisionJSONSchema() *jsonschema.Schema {
	s := reflector().Reflect(&Decision{})
	s.ID = "https://killswitch.dev/schema/decision.json"
	s.Title = "killswitch policy decision (data.killswitch.response.decision)"
	sev, _ := s.Properties.Get("severity")
	sev.Enum = []any{"info", "low", "medium", "high", "critical"}
	action := s.Definitions["Action"]
	prop := func(name string) *jsonschema.Schema {
		p, _ := action.Properties.Get(name)
		return p
	}
	prop("kind").Enum = toAny(actionKinds)
	prop("mode").Enum = []any{ModeEnforce, ModeMonitor}
	prop("scope").Pattern = `^(all|provider:.+)?$`
	prop("ttl").Pattern = `^$|^([0-9]+(\.[0-9]*)?(ns|us|µs|ms|s|m|h))+$`
	prop("reason").Pattern = `\S`
	target := s.Definitions["Target"]
	id, _ := target.Properties.Get("id")
	id.MinLength = ptr(uint64(1))
	action.AllOf = kindRules()
	approval, _ := s.Properties.Get("requires_approval")
	*approval = *approvalSchema()
	return s
}

// approvalSchema is requires_approval: a boolean, or an object with a
// timeout and what happens on it (on_timeout needs a timeout).
func approvalSchema() *jsonschema.Schema {
	terms := &jsonschema.Schema{Type: "object",
		Properties:           jsonschema.NewProperties(),
		AdditionalProperties: jsonschema.FalseSchema,
		DependentRequired:    map[string][]string{"on_timeout": {"timeout"}}}
	terms.Properties.Set("timeout", &jsonschema.Schema{Type: "string",
		Pattern: `^([0-9]+(\.[0-9]*)?(ns|us|µs|ms|s|m|h))+$`})
	terms.Properties.Set("on_timeout", &jsonschema.Schema{Type: "string",
		Enum: []any{OnTimeoutExecute, OnTimeoutDrop}})
	return &jsonschema.Schema{OneOf: []*jsonschema.Schema{
		{Type: "boolean"}, terms}}
}

// kindRules say, per kind, which target types it takes and whether it
// may have a scope or a ttl.
func kindRules() []*jsonschema.Schema {
	var out []*jsonschema.Schema
	for _, kind := range actionKinds {
		then := &jsonschema.Schema{Properties: jsonschema.NewProperties()}
		then.Properties.Set("target", &jsonschema.Schema{
			Properties: props("type", &jsonschema.Schema{Enum: toAny(targetTypes[kind])})})
		if kind != RevokeSessions {
			then.Properties.Set("scope", &jsonschema.Schema{MaxLength: ptr(uint64(0))})
		}
		if kind != Lock {
			then.Properties.Set("ttl", &jsonschema.Schema{MaxLength: ptr(uint64(0))})
		}
		out = append(out, &jsonschema.Schema{
			If:   &jsonschema.Schema{Properties: props("kind", &jsonschema.Schema{Const: kind})},
			Then: then,
		})
	}
	return out
}

func props(name string, s *jsonschema.Schema) *orderedmap.OrderedMap[string, *jsonschema.Schema] {
	p := jsonschema.NewProperties()
	p.Set(name, s)
	return p
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// compileSchema compiles a checked-in schema with a JSON Schema
// validator that is not ours.
func compileSchema(t *testing.T, name string) *validator.Schema {
	t.Helper()
	f, err := os.Open(schemaDir + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := validator.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := validator.NewCompiler()
	if err := c.AddResource(name, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(name)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// TestGoValidatorAgreesWithTheDecisionSchema: the Go validator is the
// authority (its messages name the field; it also checks that every
// target was shown in the input, which a schema cannot), and on every
// decision below both accept or both reject.
func TestGoValidatorAgreesWithTheDecisionSchema(t *testing.T) {
	sch := compileSchema(t, "decision.json")
	in := shownEverything()
	for _, tt := range agreementCases {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := validator.UnmarshalJSON(strings.NewReader(tt.decision))
			if err != nil {
				t.Fatal(err)
			}
			schemaErr := sch.Validate(doc)
			var opaDoc any
			json.Unmarshal([]byte(tt.decision), &opaDoc)
			d, goErr := decodeDecision(numbersAsJSON(opaDoc))
			if goErr == nil {
				goErr = checkDecision(&d, &in)
			}
			if (schemaErr == nil) != tt.valid || (goErr == nil) != tt.valid {
				t.Errorf("valid %v: schema says %v, Go says %v", tt.valid, schemaErr, goErr)
			}
		})
	}
}

func shownEverything() Input {
	var in Input
	in.Principals = []Principal{{}}
	in.Principals[0].ID = "p"
	in.Credentials = []Credential{{}}
	in.Credentials[0].ID = "c"
	in.Sessions = make([]store.Session, 1)
	in.Sessions[0].ID = "s"
	in.Sessions[0].Origin.Device = "d"
	in.Sessions[0].Origin.IP = "192.0.2.1"
	return in
}

// numbersAsJSON turns float64s into json.Number, as OPA returns them.
func numbersAsJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = numbersAsJSON(e)
		}
	case []any:
		for i, e := range x {
			x[i] = numbersAsJSON(e)
		}
	case float64:
		b, _ := json.Marshal(x)
		return json.Number(b)
	}
	return v
}

// act is an action of kind on target ("type:id") with reason "r" and
// the extra members given ("\"scope\": \"all\"").
func act(kind, target, extra string) string {
	typ, id, _ := strings.Cut(target, ":")
	s := `{"kind": "` + kind + `", "target": {"type": "` + typ +
		`", "id": "` + id + `"}, "reason": "r"`
	if extra != "" {
		s += ", " + extra
	}
	return s + "}"
}

// acts is a decision with these actions.
func acts(actions ...string) string {
	return `{"actions": [` + strings.Join(actions, ", ") + `]}`
}

var agreementCases = []struct {
	name     string
	decision string
	valid    bool
}{
	{"Nothing to do", `{"actions": []}`, true},
	{"Every kind on every target it takes", `{"severity": "high", ` +
		`"requires_approval": true, "actions": [` + strings.Join([]string{
		act("revoke_sessions", "principal:p", `"scope": "all"`),
		act("revoke_sessions", "session:s", `"scope": "provider:okta"`),
		act("revoke_sessions", "credential:c", `"rule": "x"`),
		act("revoke_credential", "credential:c", `"mode": "monitor"`),
		act("disable_principal", "principal:p", `"mode": "enforce"`),
		act("lock", "device:d", `"ttl": "1h30m"`),
		act("lock", "origin:192.0.2.1", ""),
		act("lock", "principal:p", `"ttl": "24h"`),
		act("notify", "principal:p", ""),
	}, ", ") + "]}", true},
	{"An empty object", `{}`, false},
	{"Not an object", `[1]`, false},
	{"A string where the actions belong", `{"actions": "revoke everything"}`, false},
	{"An unknown top-level key", `{"actions": [], "actionz": []}`, false},
	{"Approval that is not a boolean", `{"actions": [], "requires_approval": "yes"}`, false},
	{"Approval with a timeout and a default", `{"actions": [], ` +
		`"requires_approval": {"timeout": "4h", "on_timeout": "execute"}}`, true},
	{"Approval with a timeout only", `{"actions": [], ` +
		`"requires_approval": {"timeout": "90m"}}`, true},
	{"Approval that defaults with no timeout", `{"actions": [], ` +
		`"requires_approval": {"on_timeout": "drop"}}`, false},
	{"Approval with an unknown default", `{"actions": [], ` +
		`"requires_approval": {"timeout": "1h", "on_timeout": "maybe"}}`, false},
	{"Approval with an unknown key", `{"actions": [], ` +
		`"requires_approval": {"deadline": "1h"}}`, false},
	{"An unknown severity", `{"actions": [], "severity": "urgent"}`, false},
	{"A severity that is a number", `{"actions": [], "severity": 4}`, false},
	{"An action that is a string", `{"actions": ["revoke"]}`, false},
	{"An unknown kind", acts(act("nuke", "principal:p", "")), false},
	{"A missing kind", acts(`{"target": {"type": "principal", "id": "p"}, "reason": "r"}`), false},
	{"A missing target", acts(`{"kind": "notify", "reason": "r"}`), false},
	{"A target that is a string", acts(`{"kind": "notify", "target": "p", "reason": "r"}`), false},
	{"An unknown target key", acts(`{"kind": "notify", "reason": "r",
		"target": {"type": "principal", "id": "p", "x": 1}}`), false},
	{"An empty target id", acts(act("notify", "principal:", "")), false},
	{"A missing reason", acts(`{"kind": "notify", "target": {"type": "principal", "id": "p"}}`), false},
	{"A blank reason", acts(`{"kind": "notify", "target": {"type": "principal",
		"id": "p"}, "reason": "  "}`), false},
	{"A null scope", acts(act("revoke_sessions", "principal:p", `"scope": null`)), false},
	{"An unknown action key", acts(act("notify", "principal:p", `"priority": 1`)), false},
	{"A credential revocation on a principal", acts(act("revoke_credential", "principal:p", "")), false},
	{"A notification to a session", acts(act("notify", "session:s", "")), false},
	{"A lock on a session", acts(act("lock", "session:s", "")), false},
	{"An unknown scope", acts(act("revoke_sessions", "principal:p", `"scope": "everything"`)), false},
	{"A provider scope without a provider",
		acts(act("revoke_sessions", "principal:p", `"scope": "provider:"`)), false},
	{"A scope on another kind", acts(act("disable_principal", "principal:p", `"scope": "all"`)), false},
	{"A ttl that is not a duration", acts(act("lock", "principal:p", `"ttl": "1 day"`)), false},
	{"A ttl on another kind", acts(act("notify", "principal:p", `"ttl": "1h"`)), false},
	{"An unknown mode", acts(act("notify", "principal:p", `"mode": "audit"`)), false},
}
