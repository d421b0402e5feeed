package signals_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/signals"
)

// alertsDir holds the demo's sample alerts, written for this project.
const alertsDir = "../testdata/alerts"

type golden struct {
	file     string
	format   signals.Format
	category signals.Category
	severity signals.Severity
	time     string
	dedupKey string
	subjects []signals.Subject
	attrs    map[string]any
}

func sub(t signals.SubjectType, v string, r signals.Role) signals.Subject {
	return signals.Subject{Type: t, Value: v, Role: r}
}

const (
	email    = signals.SubjectEmail
	username = signals.SubjectUsername
	userID   = signals.SubjectUserID
	keyID    = signals.SubjectAccessKeyID
	arn      = signals.SubjectARN
	ip       = signals.SubjectIP
	session  = signals.SubjectSessionID
	device   = signals.SubjectDeviceID
	clientID = signals.SubjectClientID
	hash     = signals.SubjectSecretHash
	repo     = signals.SubjectRepository

	actor      = signals.RoleActor
	target     = signals.RoleTarget
	credential = signals.RoleCredential
	source     = signals.RoleSource
	location   = signals.RoleLocation
)

// The values below were read off the sample files by hand; the secret
// hash is `printf %s <secret> | sha256sum`.
var goldens = []golden{{
	file:     "01-guardduty-tor-caller-alice.json",
	format:   signals.FormatGuardDuty,
	category: signals.CategoryThreat,
	severity: signals.SeverityHigh,
	time:     "2026-11-30T09:14:07.512Z",
	dedupKey: "guardduty:c6cb2f1e9d4a7b30e5f8a1d2c3b4a596:2026-11-30T09:14:07.512Z",
	subjects: []signals.Subject{
		sub(username, "alice", target),
		sub(userID, "AIDAALICEDEMO0000001", target),
		sub(keyID, "AKIAALICEDEMO0000001", credential),
		sub(ip, "198.51.100.23", source),
	},
	attrs: map[string]any{"user_type": "IAMUser", "account_id": "111122223333"},
}, {
	file:     "02-ocsf-detection-finding-frank.json",
	format:   signals.FormatOCSF,
	category: signals.CategoryThreat,
	severity: signals.SeverityHigh,
	time:     "2026-11-30T10:26:21Z",
	dedupKey: "ocsf:8f1c2d3e-4b5a-4c6d-9e8f-0a1b2c3d4e5f",
	subjects: []signals.Subject{
		sub(email, "frank@example.com", actor),
		sub(userID, "00ufrankDEMO00000001", actor),
		sub(username, "frank", actor),
		sub(session, "idxFrankHijackedDEMO0001", actor),
		sub(ip, "203.0.113.66", source),
	},
	attrs: map[string]any{
		"finding_type": "Credential Access/MFA Request Generation",
	},
}, {
	file:     "03-github-secret-scanning-pat-created.json",
	format:   signals.FormatGitHubSecretScanning,
	category: signals.CategorySecretExposure,
	severity: signals.SeverityHigh,
	time:     "2026-11-30T11:02:19Z",
	dedupKey: "github_secret_scanning:acme/payments-api#42:created",
	subjects: []signals.Subject{
		sub(hash, "sha256:b1d75e8ab3bcef1afe14de003a57695e886c8642c4bea42765bf1a5a608a82c0",
			credential),
		sub(repo, "acme/payments-api", location),
		sub(username, "secret-scanning[bot]", actor),
	},
	attrs: map[string]any{
		"secret_type": "github_personal_access_token",
		"validity":    "unknown",
	},
}, {
	file:     "04-gitguardian-openai-key-triggered.json",
	format:   signals.FormatGitGuardian,
	category: signals.CategorySecretExposure,
	severity: signals.SeverityHigh,
	time:     "2026-11-30T11:20:05.418226Z",
	dedupKey: "gitguardian:88412:incident_triggered",
	subjects: []signals.Subject{
		sub(hash, "5e3c1fdc9a1b8e0d4c2a6f7e8b9d0c1a2b3c4d5e6f708192a3b4c5d6e7f80910",
			credential),
		sub(email, "owner@example.com", target),
	},
	attrs: map[string]any{
		"detector": "openai_apikey", "validity": "valid",
		"secret_revoked": false,
	},
}, {
	file:     "05-caep-session-revoked-dave.json",
	format:   signals.FormatCAEP,
	category: signals.CategorySessionRevoked,
	severity: signals.SeverityHigh,
	time:     "2026-11-30T11:39:50Z",
	dedupKey: "caep:https://idp.example.com/#5b2f0c9e7a1d4e3f8a6b9c0d1e2f3a4b",
	subjects: []signals.Subject{
		sub(email, "dave@example.com", target),
		sub(session, "okta-sess-dave-laptop", target),
	},
	attrs: map[string]any{"initiating_entity": "policy"},
}, {
	file:     "06-risc-account-disabled-erin.json",
	format:   signals.FormatRISC,
	category: signals.CategoryAccountDisabled,
	severity: signals.SeverityCritical,
	time:     "2026-11-30T11:45:00Z",
	dedupKey: "risc:https://accounts.example.com/#9e0d1c2b3a4f5e6d7c8b9a0f1e2d3c4b",
	subjects: []signals.Subject{sub(email, "erin@example.com", target)},
	attrs:    map[string]any{"reason": "hijacking"},
}, {
	file:     "07-risc-credential-compromise-grace.json",
	format:   signals.FormatRISC,
	category: signals.CategoryCredentialCompromise,
	severity: signals.SeverityCritical,
	time:     "2026-11-30T11:50:00Z",
	dedupKey: "risc:https://accounts.example.com/#0a1b2c3d4e5f60718293a4b5c6d7e8f9",
	subjects: []signals.Subject{
		sub(userID, "grace@example.com", target),
		sub(email, "grace@example.com", target),
	},
	attrs: map[string]any{"credential_type": "password"},
}, {
	file:     "08-okta-session-start-alice.json",
	format:   signals.FormatOkta,
	category: signals.CategoryAuthentication,
	severity: signals.SeverityInfo,
	time:     "2026-11-30T08:47:12.305Z",
	dedupKey: "okta:7d3e9f20-ceb1-11f1-9a4b-6b1f0c2d3e4f",
	subjects: []signals.Subject{
		sub(userID, "00ualiceDEMO00000001", actor),
		sub(email, "alice@example.com", actor),
		sub(session, "idxAliceDEMOroot00000001", actor),
		sub(ip, "192.0.2.15", source),
	},
	attrs: map[string]any{"outcome": "success"},
}, {
	file:     "09-cloudtrail-console-login-alice.json",
	format:   signals.FormatCloudTrail,
	category: signals.CategoryAuthentication,
	severity: signals.SeverityInfo,
	time:     "2026-11-30T08:52:30Z",
	dedupKey: "cloudtrail:4b6f2a1c-8e3d-4f5a-9b7c-0d1e2f3a4b5c",
	subjects: []signals.Subject{
		sub(arn, "arn:aws:iam::111122223333:user/alice", actor),
		sub(username, "alice", actor),
		sub(userID, "AIDAALICEDEMO0000001", actor),
		sub(ip, "192.0.2.15", source),
	},
	attrs: map[string]any{"outcome": "success", "mfa_used": true},
}, {
	file:     "10-guardduty-breakglass-admin.json",
	format:   signals.FormatGuardDuty,
	category: signals.CategoryThreat,
	severity: signals.SeverityHigh,
	time:     "2026-11-30T10:33:47.204Z",
	dedupKey: "guardduty:f0e1d2c3b4a5968778695a4b3c2d1e0f:2026-11-30T10:33:47.204Z",
	subjects: []signals.Subject{
		sub(username, "breakglass-admin", target),
		sub(userID, "AIDABREAKGLASS000001", target),
		sub(keyID, "AKIABREAKGLASS000001", credential),
		sub(ip, "203.0.113.40", source),
	},
}, {
	file:     "11-graph-risk-high-dave.json",
	format:   signals.FormatMSGraphRisk,
	category: signals.CategoryThreat,
	severity: signals.SeverityHigh,
	time:     "2026-12-02T02:41:17.5521339Z",
	// The key carries lastUpdatedDateTime: a risk raised again later is
	// a new signal, the same detection delivered twice is not.
	dedupKey: "ms_graph_risk:5d4c3b2a19087f6e5d4c3b2a19087f6e" +
		"5d4c3b2a19087f6e5d4c3b2a19087f6e:2026-12-02T02:43:05.0318462Z",
	subjects: []signals.Subject{
		sub(email, "dave@example.com", target),
		sub(userID, "d4e5f6a7-0000-4000-8000-00000000da7e", target),
		sub(ip, "198.51.100.231", source),
	},
	attrs: map[string]any{"risk_state": "atRisk", "country": "NG",
		"user_agent": "python-requests/2.32.3"},
}, {
	file:     "12-sentinel-incident-high-deploy-bot.json",
	format:   signals.FormatSentinel,
	category: signals.CategoryThreat,
	severity: signals.SeverityHigh,
	time:     "2026-12-02T03:21:11.4412093Z",
	dedupKey: "sentinel:9c1e7a52-3b4d-4e6f-8a90-b1c2d3e4f5a6:2026-12-02T03:21:11.4412093Z",
	subjects: []signals.Subject{
		sub(username, "deploy-bot", target),
		sub(ip, "10.40.7.21", source),
	},
	attrs: map[string]any{"status": "active", "tactics": "LateralMovement",
		"analytic_rules": "prod-ssh-outside-window"},
}}

func TestSampleAlertsDecodeToTheirGoldenSignals(t *testing.T) {
	for _, g := range goldens {
		t.Run(g.file, func(t *testing.T) {
			s := decodeFile(t, filepath.Join(alertsDir, g.file))
			checkGolden(t, g, s)
		})
	}
}

func checkGolden(t *testing.T, g golden, s signals.Signal) {
	t.Helper()
	want, err := time.Parse(time.RFC3339Nano, g.time)
	if err != nil {
		t.Fatal(err)
	}
	head := []string{string(s.Format), string(s.Category),
		string(s.Severity), s.DedupKey}
	wantHead := []string{string(g.format), string(g.category),
		string(g.severity), g.dedupKey}
	if !slices.Equal(head, wantHead) {
		t.Errorf("format, category, severity, dedup key = %q, want %q",
			head, wantHead)
	}
	if !s.Time.Equal(want) || s.Time.Location() != time.UTC {
		t.Errorf("time = %s, want %s in UTC", s.Time, want)
	}
	if !slices.Equal(s.Subjects, g.subjects) {
		t.Errorf("subjects:\n got %v\nwant %v", s.Subjects, g.subjects)
	}
	for k, v := range g.attrs {
		if s.Attributes[k] != v {
			t.Errorf("attribute %s = %v, want %v", k, s.Attributes[k], v)
		}
	}
}

func TestEverySampleAlertHasAGoldenCase(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(alertsDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, g := range goldens {
		covered[g.file] = true
	}
	for _, f := range files {
		if !covered[filepath.Base(f)] {
			t.Errorf("%s has no golden case in alerts_test.go", f)
		}
	}
	if len(files) != len(goldens) {
		t.Errorf("%d sample files, %d golden cases", len(files), len(goldens))
	}
}

func decodeFile(t *testing.T, path string) signals.Signal {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := signals.Decode(b)
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	return s
}
