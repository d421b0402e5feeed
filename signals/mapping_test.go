package signals_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/signals"
)

// The example mapping file and the alerts it is written for.
const (
	mappingsFile     = "../testdata/mappings/mappings.yaml"
	mappedAlertsDir  = "../testdata/mappings/alerts"
	tokenFingerprint = "sha256:d2d30620db23469447cc105b99d1341464758fb872d6dbf27ae1c6cdb324a500"
)

func loadExample(t testing.TB) *signals.Mappings {
	t.Helper()
	m, err := signals.LoadMappings(mappingsFile)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// The values below were read off the sample files by hand; the token's
// fingerprint is `printf %s <token> | sha256sum`.
var mappedGoldens = map[string]signals.Signal{
	"chronicle-rule-detection-alice.json": {
		Format:   "generic:chronicle",
		Category: signals.CategoryThreat,
		Type:     "okta_signin_from_tor_exit",
		Severity: signals.SeverityHigh,
		Time:     time.Date(2026, 11, 30, 9, 12, 0, 0, time.UTC),
		DedupKey: "generic:chronicle:de_6a1f4c52-31d0-4c7e-9a4b-0f2c5d8e7a10",
		Subjects: []signals.Subject{
			sub(email, "alice@example.com", actor),
			sub(userID, "00ualice0000000000001", actor),
			sub(ip, "185.220.101.7", source),
		},
		Summary: "Chronicle rule okta_signin_from_tor_exit (ALERTING)",
		Attributes: map[string]any{"alert_state": "ALERTING",
			"risk_score": json.Number("85"),
			"rule_id":    "ru_3b7e2d10-5c44-4f0e-8a61-2f9d0c7b4e55"},
	},
	"homegrown-token-leak-deploy-bot.json": {
		Format:   "generic:acme-alerting",
		Category: signals.CategorySecretExposure,
		Type:     "token_in_build_log",
		Severity: signals.SeverityHigh,
		Time:     time.Date(2026, 11, 30, 9, 15, 0, 250e6, time.UTC),
		Subjects: []signals.Subject{
			sub(username, "deploy-bot", target),
			sub(username, "release-bot", target),
			sub(repo, "acme/payments", location),
			sub(ip, "203.0.113.24", source),
			sub(hash, tokenFingerprint, credential),
		},
		Summary: "CI token printed in a public build log",
		Attributes: map[string]any{"resolved": false,
			"token_fingerprint": tokenFingerprint},
	},
}

func TestMappedSampleAlertsDecodeToTheirGoldenSignals(t *testing.T) {
	m := loadExample(t)
	for file, want := range mappedGoldens {
		t.Run(file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(mappedAlertsDir, file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := m.Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			if want.DedupKey == "" { // a digest of the payload
				if !strings.HasPrefix(got.DedupKey, string(want.Format)+
					":sha256:") || len(got.DedupKey) != len(want.Format)+72 {
					t.Errorf("dedup key %q is not a sha256 digest", got.DedupKey)
				}
				want.DedupKey = got.DedupKey
			}
			if !reflect.DeepEqual(got, want) {
				g, _ := json.MarshalIndent(got, "", "  ")
				w, _ := json.MarshalIndent(want, "", "  ")
				t.Errorf("got\n%s\nwant\n%s", g, w)
			}
			if strings.Contains(string(mustJSON(t, got)), "ghp_") {
				t.Error("the raw token reached the signal")
			}
		})
	}
}

func TestEveryMappedSampleAlertHasAGoldenCase(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(mappedAlertsDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples in %s: %v", mappedAlertsDir, err)
	}
	for _, f := range files {
		if _, ok := mappedGoldens[filepath.Base(f)]; !ok {
			t.Errorf("%s has no golden signal", f)
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A digest of the canonical payload keys an alert without an id: the
// same alert with its members reordered and spaced differently keeps
// its key, another alert gets another.
func TestTheDefaultDedupKeyIsADigestOfTheCanonicalPayload(t *testing.T) {
	m := loadExample(t)
	a := `{"source":"acme-alerting","alert_kind":"suspicious_login",` +
		`"raised_at_ms":1796030100250,"level":3}`
	reordered := `{ "level": 3, "raised_at_ms": 1796030100250,
		"alert_kind": "suspicious_login", "source": "acme-alerting" }`
	other := strings.Replace(a, `"level":3`, `"level":4`, 1)
	keys := make([]string, 3)
	for i, p := range []string{a, reordered, other} {
		s, err := m.Decode([]byte(p))
		if err != nil {
			t.Fatal(err)
		}
		keys[i] = s.DedupKey
	}
	if keys[0] != keys[1] || keys[0] == keys[2] {
		t.Errorf("keys %q", keys)
	}
}

// With mappings loaded, every payload a built-in decoder knows decodes
// as before, and one it does not know and no mapping matches fails with
// the very same error: a mapping file changes nothing but what it maps.
func TestMappingsChangeNothingForPayloadsTheyDoNotMatch(t *testing.T) {
	m := loadExample(t)
	for name, b := range knownPayloads(t) {
		want, wantErr := signals.Decode(b)
		got, err := m.Decode(b)
		if !reflect.DeepEqual(got, want) || errText(err) != errText(wantErr) {
			t.Errorf("%s: with mappings %v (%v), without %v (%v)",
				name, got.Format, err, want.Format, wantErr)
		}
	}
	unknown := `{"vendor": "nobody", "alert": {"id": 7}}`
	_, want := signals.Decode([]byte(unknown))
	_, got := m.Decode([]byte(unknown))
	if !errors.Is(got, signals.ErrUnknownFormat) || got.Error() != want.Error() {
		t.Errorf("unmatched payload: %v, want %v", got, want)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// The overlap check refuses a mapping that accepts one of the reference
// payloads; they must cover every built-in decoder, each decoded by its
// own, or a mapping could take a format none of them shows.
func TestReferencePayloadsCoverEveryDecoder(t *testing.T) {
	files, err := filepath.Glob("reference/*.json")
	if err != nil {
		t.Fatal(err)
	}
	covered := map[signals.Format]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s, err := signals.Decode(b)
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		format, _, _ := strings.Cut(name, "-")
		if err != nil || string(s.Format) != format {
			t.Errorf("%s decodes as %q (%v), want %s", f, s.Format, err, format)
		}
		covered[s.Format] = true
	}
	for _, d := range signals.Decoders() {
		if !covered[d.Format()] {
			t.Errorf("no reference payload of %s in reference/", d.Format())
		}
	}
}

func TestTwoMappingsMatchingOnePayloadIsAnError(t *testing.T) {
	m, err := signals.ParseMappings("m.yaml", []byte(`
mappings:
  - name: first
    match: {kind: {equals: x}}
    time: at
    severity: low
    category: other
    subjects: [{path: user, type: login, role: actor}]
  - name: second
    match: {kind: {one_of: [x, y]}}
    time: at
    severity: low
    category: other
    subjects: [{path: user, type: login, role: actor}]
`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Decode([]byte(`{"kind": "x", "at": "2026-11-30T09:00:00Z"}`))
	if !errors.Is(err, signals.ErrAmbiguousMapping) ||
		!strings.Contains(err.Error(), `"first" and "second" (m.yaml)`) {
		t.Errorf("err = %v", err)
	}
	s, err := m.Decode([]byte(`{"kind": "y", "at": "2026-11-30T09:00:00Z"}`))
	if err != nil || s.Format != "generic:second" {
		t.Errorf("kind y: %v, %v", s.Format, err)
	}
}

func TestANilMappingSetDecodesAsDecodeDoes(t *testing.T) {
	var m *signals.Mappings
	b, err := os.ReadFile(filepath.Join(alertsDir, "08-okta-session-start-alice.json"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.Decode(b)
	want, _ := signals.Decode(b)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, %v", got, err)
	}
	if m.File() != "" || m.Names() != nil {
		t.Error("a nil set names a file or mappings")
	}
}

func TestLoadMappingsNamesTheExampleMappings(t *testing.T) {
	m := loadExample(t)
	if got := m.Names(); !reflect.DeepEqual(got,
		[]string{"chronicle", "acme-alerting"}) || m.File() != mappingsFile {
		t.Errorf("names %v, file %s", got, m.File())
	}
	if _, err := signals.LoadMappings("no-such-file.yaml"); err == nil ||
		!strings.Contains(err.Error(), "no-such-file.yaml") {
		t.Errorf("missing file: %v", err)
	}
}
