package configdoc

import (
	"strings"
	"testing"
)

// A key given twice in one mapping, anywhere in the document, is
// refused naming its line: the second grants list replaced the first.
func TestAKeyGivenTwiceIsRefusedNamingItsLine(t *testing.T) {
	for name, doc := range map[string]string{
		"in a section": "console:\n  oidc:\n    grants: [a]\n" +
			"    grants: [b]\n",
		"at the top": "sweeps: {}\nconnectors: []\nsweeps: {}\n",
		"in a list item": "connectors:\n  - {name: a, type: okta}\n" +
			"  - name: b\n    name: c\n",
	} {
		_, err := ToJSON([]byte(doc))
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, "already set") ||
			!strings.Contains(msg, "line ") || strings.Contains(msg, "\n") {
			t.Errorf("%s: %q, want one line naming the key's line", name, msg)
		}
	}
}

// Two keys that differ only in case are refused: the sections' decoders
// (encoding/json) read both into one field, the last replacing the
// first.
func TestKeysThatDifferOnlyInCaseAreRefused(t *testing.T) {
	_, err := ToJSON([]byte("console:\n  oidc:\n    grants: [a]\n" +
		"    Grants: [b]\n"))
	want := `line 4: key "Grants": it and "grants" of line 3 differ only in case`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("%v, want an error holding %q", err, want)
	}
}

func TestADocumentWithEachKeyOnceIsRead(t *testing.T) {
	js, err := ToJSON([]byte("console:\n  oidc: {grants: [a]}\n" +
		"sweeps: {jobs: []}\n"))
	if err != nil || !strings.Contains(string(js), `"grants":["a"]`) {
		t.Fatalf("%s, %v", js, err)
	}
}
