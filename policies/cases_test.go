package policies_test

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/killswitch-dev/killswitch/policies"
	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/rules/cases"
	"github.com/killswitch-dev/killswitch/rules/replay"
)

// corpusDir is the shared folder of real alert payloads.
const corpusDir = "../../shared/corpus"

// TestCases runs the library's data-driven cases in cases/, as
// `killswitch policy test policies/` does.
func TestCases(t *testing.T) {
	ps, err := rules.Load(t.Context(), policies.FS)
	if err != nil {
		t.Fatalf("load shipped policies: %v", err)
	}
	files, err := cases.ReadDir("cases")
	if err != nil {
		t.Fatal(err)
	}
	r := cases.Runner{Policies: ps, CorpusDir: corpusDir,
		CI: os.Getenv("CI") == "true"}
	results := r.Run(t.Context(), files)
	if len(results) < 60 {
		t.Errorf("found %d cases, want 60 or more", len(results))
	}
	schemas := newSchemaCheck(t)
	for _, res := range results {
		t.Run(res.Note, func(t *testing.T) {
			switch {
			case res.Skip != "":
				t.Skip(res.Skip)
			case !res.Pass:
				t.Errorf("%s: %s\n%s", res.File, res.Note, res.Failure)
			}
			schemas.check(t, res.Replay)
		})
	}
}

// schemaCheck validates what every case was shown and decided against
// the checked-in JSON Schemas, with a validator that is not ours: the
// schemas must describe what the engine really sends and accepts.
type schemaCheck struct {
	input, decision *jsonschema.Schema
}

func newSchemaCheck(t *testing.T) schemaCheck {
	t.Helper()
	c := jsonschema.NewCompiler()
	var out schemaCheck
	for name, dst := range map[string]**jsonschema.Schema{
		"schema/input.json": &out.input, "schema/decision.json": &out.decision} {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err == nil {
			err = c.AddResource(name, doc)
		}
		if err == nil {
			*dst, err = c.Compile(name)
		}
		if err != nil {
			t.Fatalf("compile %s: %v", name, err)
		}
	}
	return out
}

func (s schemaCheck) check(t *testing.T, res *replay.Result) {
	t.Helper()
	if res == nil {
		return
	}
	s.validate(t, "input", s.input, res.Input)
	if res.Decision.Actions != nil {
		s.validate(t, "decision", s.decision, res.Decision)
	}
}

func (s schemaCheck) validate(t *testing.T, what string, sch *jsonschema.Schema, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(doc); err != nil {
		t.Errorf("the %s breaks policies/schema/%s.json: %v", what, what, err)
	}
}
