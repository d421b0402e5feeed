package signals_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/killswitch-dev/killswitch/signals"
)

// The README's example mapping is the shipped one: it had drifted (an
// attribute the file lacked, fields the file had), and a reader copying
// it got another signal than the one the README's command printed.
func TestTheREADMEsMappingDecodesAsTheShippedOne(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "## Alerts in a format killswitch does not know")
	if !ok {
		t.Fatal("README has no section on mapping files")
	}
	_, block, ok := strings.Cut(section, "```yaml\n")
	if !ok {
		t.Fatal("the README's mapping section shows no YAML")
	}
	block, _, _ = strings.Cut(block, "```")
	path := filepath.Join(t.TempDir(), "readme.yaml")
	if err := os.WriteFile(path, []byte(block), 0o600); err != nil {
		t.Fatal(err)
	}
	fromREADME, err := signals.LoadMappings(path)
	if err != nil {
		t.Fatalf("the README's mapping does not load: %v", err)
	}
	shipped, err := signals.LoadMappings("../testdata/mappings/mappings.yaml")
	if err != nil {
		t.Fatal(err)
	}
	alert, err := os.ReadFile("../testdata/mappings/alerts/chronicle-rule-detection-alice.json")
	if err != nil {
		t.Fatal(err)
	}
	got, err := fromREADME.Decode(alert)
	if err != nil {
		t.Fatal(err)
	}
	want, err := shipped.Decode(alert)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("the README's mapping decodes the sample as\n%+v\nthe shipped one as\n%+v", got, want)
	}
}
