package signals_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/signals"
)

const badDir = "../testdata/alerts-bad"

func TestMalformedSamplesFailWithAnExactError(t *testing.T) {
	tests := []struct {
		file string
		is   error
		want string
	}{
		{"not-json.json", signals.ErrNotJSON, "payload is not a JSON object: " +
			"invalid character '<' looking for beginning of value at byte 1"},
		{"json-array.json", signals.ErrNotJSON,
			"payload is not a JSON object: top-level value is an array"},
		{"unknown-format.json", signals.ErrUnknownFormat,
			"no decoder recognises this payload " +
				"(top-level keys: alert_name, score, seen_at, user)"},
		{"okta-published-yesterday.json", nil,
			`signal okta: published: not an RFC 3339 time ("yesterday")`},
		{"ocsf-unsupported-class.json", nil,
			`signal ocsf: class_uid: unsupported OCSF class ("1007")`},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(badDir, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			_, err = signals.Decode(b)
			checkErr(t, err, tt.is, tt.want)
		})
	}
}

func checkErr(t *testing.T, err, is error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	if err.Error() != want {
		t.Errorf("error = %q\n      want %q", err, want)
	}
	var fe *signals.FieldError
	if is == nil && !errors.As(err, &fe) {
		t.Errorf("error %q is not a *FieldError", err)
	}
	if is != nil && !errors.Is(err, is) {
		t.Errorf("error %q is not %v", err, is)
	}
}

func TestPayloadsThatAreNotOneObjectAreRejected(t *testing.T) {
	tests := []struct {
		name, payload, want string
	}{
		{"Empty payload", "", "empty payload"},
		{"Only white space", " \n", "empty payload"},
		{"Truncated object", `{"a": 1`, "unexpected end of input at byte 7"},
		{"Two objects", `{"a": 1} {"b": 2}`,
			"trailing data after the object at byte 8"},
		{"Trailing garbage", `{"a": 1}]`,
			"trailing data after the object at byte 8"},
		{"A bare string", `"hello"`, "top-level value is a string"},
		{"Null", `null`, "top-level value is null"},
		{"Invalid UTF-8 in a string", "{\"uuid\": \"a\xff\xfeb\"}",
			"invalid UTF-8 at byte 11"},
		{"A key twice", `{"action": "created", "action": "resolved"}`,
			`key "action" appears twice`},
		{"A nested key twice", `{"alert": {"n": [{"a": 1}, {"b": 1, "b": 2}]}}`,
			`key "alert.n[1].b" appears twice`},
		{"The same key in two objects is no duplicate, then one is",
			`{"a": {"k": 1}, "b": {"k": 1}, "a": 2}`, `key "a" appears twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := signals.Decode([]byte(tt.payload))
			checkErr(t, err, signals.ErrNotJSON,
				"payload is not a JSON object: "+tt.want)
		})
	}
}

func TestAByteOrderMarkBeforeTheObjectIsSkipped(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(alertsDir,
		"06-risc-account-disabled-erin.json"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := signals.Decode(append([]byte("\xef\xbb\xbf"), b...))
	if err != nil || s.Format != signals.FormatRISC {
		t.Fatalf("decode with BOM = %v, %v", s.Format, err)
	}
}

func TestUnknownFormatHintIsBoundedAndQuotesOddKeys(t *testing.T) {
	doc := map[string]any{"has space": 1, "x\ny": 2}
	for i := range 20 {
		doc[string(rune('a'+i))] = i
	}
	b, _ := json.Marshal(doc)
	_, err := signals.Decode(b)
	want := `no decoder recognises this payload (top-level keys: ` +
		`"has space", "x\ny", a, b, c, d, e, f, g, h, i, j, and 10 more)`
	checkErr(t, err, signals.ErrUnknownFormat, want)
	_, err = signals.Decode([]byte(`{}`))
	checkErr(t, err, signals.ErrUnknownFormat,
		"no decoder recognises this payload (empty object)")
}

func TestDecodersAreListedInWiringOrderOneFormatEach(t *testing.T) {
	want := []signals.Format{
		signals.FormatOCSF, signals.FormatOkta, signals.FormatCloudTrail,
		signals.FormatGuardDuty, signals.FormatGitHubSecretScanning,
		signals.FormatGitGuardian, signals.FormatCAEP, signals.FormatRISC,
		signals.FormatMSGraphRisk, signals.FormatSentinel,
		signals.FormatGoogleWorkspace, signals.FormatFalco,
		signals.FormatWazuh, signals.FormatSplunk, signals.FormatECS,
	}
	ds := signals.Decoders()
	if len(ds) != len(want) {
		t.Fatalf("%d decoders, want %d", len(ds), len(want))
	}
	for i, d := range ds {
		if d.Format() != want[i] {
			t.Errorf("decoder %d is %s, want %s", i, d.Format(), want[i])
		}
	}
	ds[0] = nil
	if signals.Decoders()[0] == nil {
		t.Error("changing the returned slice changed the wiring")
	}
}

func TestDecodeAsChecksTheFormatTheCallerNamed(t *testing.T) {
	okta, err := os.ReadFile(filepath.Join(alertsDir,
		"08-okta-session-start-alice.json"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := signals.DecodeAs(signals.FormatOkta, okta)
	if err != nil || s.DedupKey != "okta:7d3e9f20-ceb1-11f1-9a4b-6b1f0c2d3e4f" {
		t.Fatalf("decode as okta = %q, %v", s.DedupKey, err)
	}
	_, err = signals.DecodeAs(signals.FormatCloudTrail, okta)
	if !errors.Is(err, signals.ErrUnknownFormat) ||
		!strings.HasPrefix(err.Error(), "decode as cloudtrail: ") {
		t.Errorf("okta payload as cloudtrail: %v", err)
	}
	_, err = signals.DecodeAs("chronicle", okta)
	if err == nil || err.Error() != `decode as "chronicle": no such format` {
		t.Errorf("unknown format: %v", err)
	}
	_, err = signals.DecodeAs(signals.FormatOkta, []byte("[]"))
	if !errors.Is(err, signals.ErrNotJSON) {
		t.Errorf("array as okta: %v", err)
	}
}

// 1715108059341081180 is above 2^53: through float64 it would become
// ...081152 or ...081216.
func TestLargeIntegersKeepEveryDigit(t *testing.T) {
	payload := `{"class_uid": 3002, "metadata": {"version": "1.3.0",
		"uid": "large-int"}, "severity_id": 1, "type_uid": 1715108059341081180,
		"time": 1715108059341081180}`
	s, err := signals.Decode([]byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2024, 5, 7, 18, 54, 19, 341081180, time.UTC)
	if !s.Time.Equal(want) {
		t.Errorf("time = %s, want %s", s.Time.Format(time.RFC3339Nano), want)
	}
	if got := s.Attributes["type_uid"]; got != json.Number("1715108059341081180") {
		t.Errorf("type_uid attribute = %v", got)
	}
	out, _ := json.Marshal(s)
	if !strings.Contains(string(out), `"type_uid":1715108059341081180`) {
		t.Errorf("marshalled signal lost digits: %s", out)
	}
}

const demoSecret = "ghp_DemoOnlyNotARealToken0000000000000000"

// TestTheGitHubSecretIsKeptNowhere decodes the sample and variants of it
// that fail in different places, and looks for the secret in every
// signal and error.
func TestTheGitHubSecretIsKeptNowhere(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(alertsDir,
		"03-github-secret-scanning-pat-created.json"))
	if err != nil {
		t.Fatal(err)
	}
	alert := func(d map[string]any) map[string]any {
		return d["alert"].(map[string]any)
	}
	variants := map[string]func(d map[string]any){
		"The sample as it is": func(map[string]any) {},
		"No alert number":     func(d map[string]any) { delete(alert(d), "number") },
		"No time anywhere":    clearTimes,
		"A bad updated_at": func(d map[string]any) {
			alert(d)["updated_at"] = "soon"
		},
		"The secret is not a string": func(d map[string]any) {
			alert(d)["secret"] = map[string]any{"value": demoSecret}
		},
	}
	for name, change := range variants {
		t.Run(name, func(t *testing.T) {
			var copied map[string]any
			if err := json.Unmarshal(b, &copied); err != nil {
				t.Fatal(err)
			}
			change(copied)
			raw, _ := json.Marshal(copied)
			s, err := signals.Decode(raw)
			out, _ := json.Marshal(s)
			if strings.Contains(string(out), demoSecret) {
				t.Errorf("signal holds the secret: %s", out)
			}
			if err != nil && strings.Contains(err.Error(), demoSecret) {
				t.Errorf("error holds the secret: %v", err)
			}
		})
	}
}

func clearTimes(doc map[string]any) {
	alert := doc["alert"].(map[string]any)
	delete(alert, "created_at")
	delete(alert, "updated_at")
	repo := doc["repository"].(map[string]any)
	delete(repo, "updated_at")
	delete(repo, "pushed_at")
}

// decodeJSON decodes a payload written inline in a test.
func decodeJSON(t *testing.T, payload string) signals.Signal {
	t.Helper()
	s, err := signals.Decode([]byte(payload))
	if err != nil {
		t.Fatalf("decode: %v\npayload: %s", err, payload)
	}
	return s
}

// withFields returns base with the given top-level fields set, as JSON
// text; a nil value deletes the field.
func withFields(t *testing.T, base string, fields map[string]any) string {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(base), &doc); err != nil {
		t.Fatal(err)
	}
	for k, v := range fields {
		if v == nil {
			delete(doc, k)
			continue
		}
		doc[k] = v
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// A payload that has most of the fields a format is recognised by, but
// one missing or of the wrong type, is still of no known format; the
// error says which field kept it out, so that the DLQ reason names it.
func TestANearMissNamesTheFieldThatKeptItOut(t *testing.T) {
	tests := []struct {
		file, old, new, want string
	}{
		{"08-okta-session-start-alice.json", `"uuid": "7d3e9f20-ceb1-11f1-9a4b-6b1f0c2d3e4f"`,
			`"uuid": {"v": 1}`, "signal okta: uuid: not a string"},
		{"08-okta-session-start-alice.json", `"actor": {`, `"actor": null, "x": {`,
			"signal okta: actor: missing"},
		{"09-cloudtrail-console-login-alice.json", `"eventTime": "2026-11-30T08:52:30Z"`,
			`"eventTime": 1796028750`, "signal cloudtrail: eventTime: not a string"},
		{"01-guardduty-tor-caller-alice.json", `"severity": 8.0`, `"severity": "8.0"`,
			"signal guardduty: severity: not a number"},
		{"02-ocsf-detection-finding-frank.json", `"class_uid": 2004`,
			`"class_uid": "2004"`, "signal ocsf: class_uid: not a number"},
		{"03-github-secret-scanning-pat-created.json", `"full_name": "acme/payments-api"`,
			`"full_name": ["acme/payments-api"]`,
			"signal github_secret_scanning: repository.full_name: not a string"},
		{"04-gitguardian-openai-key-triggered.json", `"incident": {`,
			`"incident": "88412", "x": {`, "signal gitguardian: incident: not an object"},
		{"06-risc-account-disabled-erin.json", `"jti": "9e0d1c2b3a4f5e6d7c8b9a0f1e2d3c4b"`,
			`"jti": null`, "signal risc: jti: missing"},
		{"05-caep-session-revoked-dave.json", `"jti": "5b2f0c9e7a1d4e3f8a6b9c0d1e2f3a4b"`,
			`"jti": ["5b2f"]`, "signal caep: jti: not a string or number"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(alertsDir, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			broken := strings.Replace(string(b), tt.old, tt.new, 1)
			if broken == string(b) {
				t.Fatalf("%s has no %s", tt.file, tt.old)
			}
			_, err = signals.Decode([]byte(broken))
			var fe *signals.FieldError
			if !errors.Is(err, signals.ErrUnknownFormat) || !errors.As(err, &fe) ||
				!strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want ErrUnknownFormat naming %q", err, tt.want)
			}
		})
	}
}

// The field that fingerprints an exposed secret cannot read as absent when
// it is there with another type: the exposure would then match no
// credential and act on nothing, without a word. The error never shows
// the value: it may be the secret.
func TestAnExposedSecretFieldOfTheWrongTypeIsAFieldError(t *testing.T) {
	const canary = "ghp_CanaryNotARealToken5555555555555555"
	tests := []struct {
		name, base string
		fields     map[string]any
		want       string
	}{
		{"A GitHub secret as a number", gitHubBase, map[string]any{"alert": map[string]any{
			"number": 7, "secret_type": "x", "secret": 12345,
			"updated_at": "2026-11-30T08:05:00Z"}},
			"signal github_secret_scanning: alert.secret: not a string"},
		{"A GitHub secret inside an object", gitHubBase, map[string]any{"alert": map[string]any{
			"number": 7, "secret_type": "x", "secret": map[string]any{"value": canary},
			"updated_at": "2026-11-30T08:05:00Z"}},
			"signal github_secret_scanning: alert.secret: not a string"},
		{"A GitGuardian secret hash as a number", gitGuardianBase, map[string]any{
			"incident": map[string]any{"id": 1, "secret_hash": 5}},
			"signal gitguardian: incident.secret_hash: not a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := signals.Decode([]byte(withFields(t, tt.base, tt.fields)))
			checkErr(t, err, nil, tt.want)
			if err != nil && strings.Contains(err.Error(), canary) {
				t.Errorf("the error shows the secret: %v", err)
			}
		})
	}
}

// A ten-megabyte Okta event naming 150 000 targets must decode without
// stalling the consumer. The deadline is generous (a hang, not a speed
// check): deduplicating subjects pairwise took minutes here.
func TestATenMegabyteEventNamingManyTargetsDecodes(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(alertsDir, "08-okta-session-start-alice.json"))
	if err != nil {
		t.Fatal(err)
	}
	var targets strings.Builder
	for i := range 150_000 {
		fmt.Fprintf(&targets, `{"id": "00u%08d", "type": "User", `+
			`"alternateId": "u%d@example.com"},`, i, i)
	}
	payload := strings.Replace(string(b), `"target": [`,
		`"target": [`+targets.String(), 1)
	done := make(chan error, 1)
	var s signals.Signal
	go func() {
		var err error
		s, err = signals.Decode([]byte(payload))
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil || len(s.Subjects) < 300_000 {
			t.Fatalf("%d subjects, error %v", len(s.Subjects), err)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("decoding a %d-byte event still runs after a minute", len(payload))
	}
}
