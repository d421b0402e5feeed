package signals_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/killswitch-dev/killswitch/signals"
)

// policyAlertsDir holds the alerts of the policy cases, written for this
// project in every decoded format.
const policyAlertsDir = "../policies/cases/alerts"

// Decode asks the decoders in wiring order and takes the first that
// accepts, so two decoders accepting one document would make the order
// decide its format. Each Detect must be strict enough that at most one
// accepts any payload we have: the corpus, the sample alerts, the policy
// cases' alerts and the inline samples of the decoder tests.
func TestNoTwoDecodersAcceptTheSameDocument(t *testing.T) {
	payloads := map[string][]byte{
		"graphRiskBase": []byte(graphRiskBase), "riskyUserBase": []byte(riskyUserBase),
		"sentinelBase": []byte(sentinelBase), "workspaceBase": []byte(workspaceBase),
		"oktaBase": []byte(oktaBase), "guardDutyBase": []byte(guardDutyBase),
		"gitHubBase": []byte(gitHubBase), "gitGuardianBase": []byte(gitGuardianBase),
	}
	patterns := []string{filepath.Join(alertsDir, "*.json"),
		filepath.Join(policyAlertsDir, "*.json")}
	if _, err := os.Stat(corpusDir); err == nil {
		patterns = append(patterns, filepath.Join(corpusDir, "*", "*.json"))
	}
	for _, p := range patterns {
		files, _ := filepath.Glob(p)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			payloads[f] = b
		}
	}
	for name, b := range payloads {
		var doc map[string]any
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(&doc); err != nil {
			continue // not an object: no decoder is asked
		}
		var accepted []signals.Format
		for _, d := range signals.Decoders() {
			if d.Detect(doc) {
				accepted = append(accepted, d.Format())
			}
		}
		if len(accepted) > 1 {
			t.Errorf("%s is accepted by %v", name, accepted)
		}
	}
	if len(payloads) < 100 {
		t.Errorf("only %d payloads checked", len(payloads))
	}
}
