package signals_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
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
// accepts any payload we have: the corpus, the sample alerts (good and
// malformed), the policy cases' alerts and the inline samples of the
// decoder tests. And Decode must agree: a payload it calls of unknown
// format is accepted by none, any other by exactly one.
func TestNoTwoDecodersAcceptTheSameDocument(t *testing.T) {
	payloads := knownPayloads(t)
	for name, b := range payloads {
		t.Run(name, func(t *testing.T) {
			accepted := accepting(b)
			_, err := signals.Decode(b)
			unknown := errors.Is(err, signals.ErrUnknownFormat) ||
				errors.Is(err, signals.ErrNotJSON)
			switch {
			case len(accepted) > 1:
				t.Errorf("accepted by %v", accepted)
			case unknown && len(accepted) != 0:
				t.Errorf("accepted by %v, yet Decode says %v", accepted, err)
			case !unknown && len(accepted) != 1:
				t.Errorf("accepted by none, yet Decode says %v", err)
			}
		})
	}
}

// knownPayloads is every payload we have, by name: the corpus, the
// sample alerts (good and malformed), the policy cases' alerts and the
// inline samples of the decoder tests, and each again in an ECS
// shipper's envelope. It fails t when there are fewer than 100.
func knownPayloads(t *testing.T) map[string][]byte {
	t.Helper()
	payloads := map[string][]byte{}
	for name, p := range map[string]string{
		"graphRiskBase": graphRiskBase, "riskyUserBase": riskyUserBase,
		"sentinelBase": sentinelBase, "workspaceBase": workspaceBase,
		"oktaBase": oktaBase, "guardDutyBase": guardDutyBase,
		"gitHubBase": gitHubBase, "gitGuardianBase": gitGuardianBase,
		"cloudTrailBase": cloudTrailBase, "ocsfBase": ocsfBase,
		"falcoBase": falcoBase, "wazuhBase": wazuhBase,
		"splunkBase": splunkBase, "ecsBase": ecsBase,
		"ecsAlertDotted": ecsAlertDotted,
		"An ECS document of a Wazuh alert": `{"@timestamp": "2026-11-30T08:00:00Z",
			"timestamp": "2026-11-30T08:00:00.000+0000", "ecs": {"version": "8.11.0"},
			"event": {"kind": "alert"}, "rule": {"level": 10, "id": "5763"},
			"agent": {"id": "012", "name": "bastion-1"}}`,
		"A Wazuh alert Filebeat shipped": `{"@timestamp": "2026-11-30T08:00:01Z",
			"timestamp": "2026-11-30T08:00:00.000+0000", "ecs": {"version": "8.11.0"},
			"rule": {"level": 10, "id": "5763"}, "id": "1.2",
			"agent": {"id": "012", "name": "bastion-1"}}`,
	} {
		payloads[name] = []byte(p)
	}
	patterns := []string{filepath.Join(alertsDir, "*.json"),
		filepath.Join(badDir, "*"), filepath.Join(policyAlertsDir, "*.json")}
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
	for name, b := range maps.Clone(payloads) {
		if shipped, ok := withECSEnvelope(b); ok {
			payloads[name+" (with an ECS shipper's envelope)"] = shipped
		}
	}
	if len(payloads) < 100 {
		t.Errorf("only %d payloads checked", len(payloads))
	}
	return payloads
}

// withECSEnvelope adds to a JSON object what a shipper that speaks ECS
// (Filebeat, Logstash) stamps on whatever it ships: an ECS version, an
// @timestamp and event.original. A vendor's alert so shipped is still
// the vendor's, and no more than one decoder may take it.
func withECSEnvelope(b []byte) ([]byte, bool) {
	var doc map[string]any
	if json.Unmarshal(b, &doc) != nil || doc == nil {
		return nil, false
	}
	doc["ecs"] = map[string]any{"version": "8.11.0"}
	doc["@timestamp"] = "2026-11-30T08:00:01.000Z"
	doc["event"] = map[string]any{"original": string(b)}
	out, err := json.Marshal(doc)
	return out, err == nil
}

// accepting lists the formats whose decoder accepts the payload, parsed
// as Decode parses it (numbers as json.Number); none when it is not an
// object.
func accepting(b []byte) []signals.Format {
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if dec.Decode(&doc) != nil {
		return nil
	}
	var out []signals.Format
	for _, d := range signals.Decoders() {
		if d.Detect(doc) {
			out = append(out, d.Format())
		}
	}
	return out
}
