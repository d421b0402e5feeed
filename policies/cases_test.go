package policies_test

import (
	"os"
	"testing"

	"github.com/killswitch-dev/killswitch/policies"
	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/rules/cases"
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
	for _, res := range results {
		t.Run(res.Note, func(t *testing.T) {
			switch {
			case res.Skip != "":
				t.Skip(res.Skip)
			case !res.Pass:
				t.Errorf("%s: %s\n%s", res.File, res.Note, res.Failure)
			}
		})
	}
}
