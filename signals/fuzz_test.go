package signals_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/killswitch-dev/killswitch/signals"
)

// FuzzDecode checks that Decode never panics, and that it returns either
// an error or a signal that passes Validate. Its seeds are the demo's
// alerts, the malformed samples and the policy cases' alerts, which have
// every format.
func FuzzDecode(f *testing.F) {
	for _, pattern := range []string{
		filepath.Join(alertsDir, "*.json"),
		filepath.Join(badDir, "*"),
		filepath.Join(policyAlertsDir, "*.json"),
	} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		s, err := signals.Decode(payload)
		if err != nil {
			return
		}
		if s.Format == "" || s.DedupKey == "" {
			t.Fatalf("no error but format %q, dedup key %q",
				s.Format, s.DedupKey)
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("returned signal fails Validate: %v", err)
		}
	})
}
