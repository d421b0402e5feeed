package signals_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/killswitch-dev/killswitch/signals"
)

// corpusDir is ../shared/corpus from the repository root: real payloads
// published by vendors and spec authors, kept outside the repository.
const corpusDir = "../../shared/corpus"

// corpusCase says what a corpus file must decode to: its format, its
// category and severity, and the subjects (read off the file by hand)
// that name the principal, session or credential it is about.
type corpusCase struct {
	format   signals.Format
	category signals.Category
	severity signals.Severity
	about    []signals.Subject
}

var corpusCases = map[string]corpusCase{
	"caep-risc/caep-credential-change-fido2-create.json": {
		signals.FormatCAEP, signals.CategoryCredentialChange, signals.SeverityInfo,
		[]signals.Subject{sub(userID, "jane.smith@example.com", target),
			sub(email, "jane.smith@example.com", target)}},
	"caep-risc/caep-session-revoked-session-id.json": {
		signals.FormatCAEP, signals.CategorySessionRevoked, signals.SeverityHigh,
		[]signals.Subject{sub(session, "dMTlD|1600802906337.16|16008.16", target)}},
	"caep-risc/risc-account-disabled-hijacking.json": {
		signals.FormatRISC, signals.CategoryAccountDisabled, signals.SeverityCritical,
		[]signals.Subject{sub(userID, "7375626A656374", target)}},
	"caep-risc/risc-credential-compromise-password.json": {
		signals.FormatRISC, signals.CategoryCredentialCompromise,
		signals.SeverityCritical,
		[]signals.Subject{sub(email, "joe.smith@example.com", target)}},
	"elastic-ecs/okta-system-user-session-start-ecs.json": {
		signals.FormatECS, signals.CategoryAuthentication, signals.SeverityInfo,
		[]signals.Subject{sub(userID, "00uEXAMPLE0987654321", actor),
			sub(ip, "203.0.113.47", source)}},
	"falco/read-sensitive-file-untrusted.json": {
		signals.FormatFalco, signals.CategoryThreat, signals.SeverityMedium,
		[]signals.Subject{sub(device, "9656db3bb358", target),
			sub(device, "elastic-package-service-falco-event-generator-1", target)}},
	"falco/run-shell-untrusted-null-field.json": {
		signals.FormatFalco, signals.CategoryThreat, signals.SeverityLow,
		[]signals.Subject{sub(device, "84c0b936c919", target),
			sub(device, "elastic-package-service-falco-event-generator-1", target)}},
	"splunk/webhook-alert-action-search-one-result.json": {
		signals.FormatSplunk, signals.CategoryThreat, signals.SeverityInfo,
		[]signals.Subject{sub(device, "myserver", location)}},
	"wazuh/sshd-5710-nonexistent-user.json": {
		signals.FormatWazuh, signals.CategoryAuthentication, signals.SeverityLow,
		[]signals.Subject{sub(username, "blimey", actor),
			sub(ip, "198.51.100.18", source)}},
	"cloudtrail/consolelogin-failure-assumedrole.json": {
		signals.FormatCloudTrail, signals.CategoryAuthentication, signals.SeverityLow,
		[]signals.Subject{
			sub(arn, "arn:aws:sts::123456789012:assumed-role/RoleToBeAssumed/MySessionName", actor),
			sub(keyID, "AKIAIOSFODNN7EXAMPLE", credential)}},
	"cloudtrail/consolelogin-success-iamuser-nomfa.json": {
		signals.FormatCloudTrail, signals.CategoryAuthentication, signals.SeverityLow,
		[]signals.Subject{sub(arn, "arn:aws:iam::123456789012:user/JohnDoe", actor),
			sub(username, "JohnDoe", actor)}},
	"cloudtrail/signin-credentialchallenge-identitycenter.json": {
		signals.FormatCloudTrail, signals.CategoryAuthentication, signals.SeverityInfo,
		[]signals.Subject{sub(userID, "e3644802-3061-7018-86c3-USERID", actor),
			sub(username, "test", actor)}},
	"gitguardian/incident-resolved-aws-keys-revoked.json": {
		signals.FormatGitGuardian, signals.CategoryOther, signals.SeverityHigh,
		[]signals.Subject{sub(email, "john.doe@example.com", target)}},
	"gitguardian/incident-triggered-generic-password.json": {
		signals.FormatGitGuardian, signals.CategorySecretExposure,
		signals.SeverityHigh,
		[]signals.Subject{sub(hash, "xxx", credential)}},
	"github-secret-scanning/secret-scanning-alert-reopened-webhook.json": {
		signals.FormatGitHubSecretScanning, signals.CategorySecretExposure,
		signals.SeverityHigh,
		[]signals.Subject{sub(repo, "Codertocat/Hello-World", location)}},
	"google-workspace/login-account-disabled-hijacked.json": {
		signals.FormatGoogleWorkspace, signals.CategoryAccountDisabled,
		signals.SeverityCritical,
		[]signals.Subject{sub(email, "victim@example.com", target)}},
	"google-workspace/login-success-is-suspicious-true.json": {
		signals.FormatGoogleWorkspace, signals.CategoryThreat, signals.SeverityMedium,
		[]signals.Subject{sub(email, "admin@example.com", actor)}},
	"google-workspace/login-suspicious-login-account-warning.json": {
		signals.FormatGoogleWorkspace, signals.CategoryThreat, signals.SeverityMedium,
		[]signals.Subject{sub(email, "victim@example.com", target)}},
	"guardduty/unauthorizedaccess-iamuser-toripcaller-sample.json": {
		signals.FormatGuardDuty, signals.CategoryThreat, signals.SeverityMedium,
		[]signals.Subject{sub(username, "GeneratedFindingUserName", target),
			sub(keyID, "GeneratedFindingAccessKeyId", credential)}},
	"ms-graph-risk/riskdetection-get-response.json": {
		signals.FormatMSGraphRisk, signals.CategoryOther, signals.SeverityMedium,
		[]signals.Subject{sub(email, "user3@example.com", target),
			sub(userID, "abcdefab-af90-4edf-ac4c-742ff06735d0", target)}},
	"ocsf/okta-account-change-3001-lock.json": {
		signals.FormatOCSF, signals.CategoryAccountChange, signals.SeverityInfo,
		[]signals.Subject{sub(email, "okta.test.user@example.com", target),
			sub(userID, "0123456789", target)}},
	"ocsf/okta-authentication-3002.json": {
		signals.FormatOCSF, signals.CategoryAuthentication, signals.SeverityInfo,
		[]signals.Subject{sub(email, "john.doe@example.com", actor),
			sub(userID, "00uEXAMPLE1234567890", actor),
			sub(session, "idxBager62CSveUkTxvgRtonA", actor)}},
	"ocsf/sechub-guardduty-detection-finding-2004.json": {
		signals.FormatOCSF, signals.CategoryThreat, signals.SeverityLow,
		[]signals.Subject{sub(keyID, "ASIATMJPC7EXAMPLE", credential),
			sub(username, "Admin", target)}},
	"okta/policy-evaluate-sign-on-allow.json": {
		signals.FormatOkta, signals.CategoryOther, signals.SeverityInfo,
		[]signals.Subject{sub(email, "user1@example.com", actor),
			sub(userID, "00uEXAMPLE0987654321", actor)}},
	"okta/user-account-lock.json": {
		signals.FormatOkta, signals.CategoryAccountChange, signals.SeverityInfo,
		[]signals.Subject{sub(email, "okta.test.user@example.com", actor),
			sub(userID, "0123456789", actor)}},
	"okta/user-session-end.json": {
		signals.FormatOkta, signals.CategoryAuthentication, signals.SeverityInfo,
		[]signals.Subject{sub(email, "user1@example.com", actor),
			sub(userID, "00uEXAMPLE0987654321", actor)}},
	"okta/user-session-start.json": {
		signals.FormatOkta, signals.CategoryAuthentication, signals.SeverityInfo,
		[]signals.Subject{sub(email, "john.doe@example.com", actor),
			sub(userID, "00uEXAMPLE1234567890", actor)}},
	// A GET of an incident names no account: its owner is the analyst
	// it is assigned to, a bystander (see TestSentinelOwnerIsNotASubject).
	"sentinel/incident-get-by-id-closed-falsepositive.json": {
		signals.FormatSentinel, signals.CategoryOther, signals.SeverityHigh, nil},
}

// corpusUnknown are corpus files of formats not decoded yet; each must be
// refused rather than taken for a format it resembles. Every format in
// the corpus is decoded now; a file added in another goes here until it
// is.
var corpusUnknown []string

func corpusFiles(t *testing.T) []string {
	t.Helper()
	if _, err := os.Stat(corpusDir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("corpus missing under CI: %v", err)
		}
		t.Skipf("corpus not found at %s (it lives in ../shared/corpus "+
			"beside the repository): %v", corpusDir, err)
	}
	files, err := filepath.Glob(filepath.Join(corpusDir, "*", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files in %s: %v", corpusDir, err)
	}
	return files
}

func TestCorpusFilesDecodeAndNameTheirPrincipal(t *testing.T) {
	corpusFiles(t)
	for name, want := range corpusCases {
		t.Run(name, func(t *testing.T) {
			s := decodeFile(t, filepath.Join(corpusDir, name))
			got := []string{string(s.Format), string(s.Category),
				string(s.Severity)}
			exp := []string{string(want.format), string(want.category),
				string(want.severity)}
			if !slices.Equal(got, exp) {
				t.Errorf("format, category, severity = %q, want %q", got, exp)
			}
			for _, w := range want.about {
				if !slices.Contains(s.Subjects, w) {
					t.Errorf("subject %v missing from %v", w, s.Subjects)
				}
			}
		})
	}
}

func TestCorpusFilesOfOtherFormatsAreNotGuessed(t *testing.T) {
	corpusFiles(t)
	if len(corpusUnknown) == 0 {
		t.Skip("every format in the corpus is decoded")
	}
	for _, name := range corpusUnknown {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(corpusDir, name))
			if err != nil {
				t.Fatal(err)
			}
			s, err := signals.Decode(b)
			if !errors.Is(err, signals.ErrUnknownFormat) {
				t.Errorf("decoded as %q (err %v), want ErrUnknownFormat",
					s.Format, err)
			}
		})
	}
}

func TestEveryCorpusFileHasAnExpectation(t *testing.T) {
	for _, f := range corpusFiles(t) {
		rel, _ := filepath.Rel(corpusDir, f)
		rel = filepath.ToSlash(rel)
		if _, ok := corpusCases[rel]; !ok && !slices.Contains(corpusUnknown, rel) {
			t.Errorf("%s has no expectation in corpus_test.go", rel)
		}
	}
}

func TestRISCTokensSharingAJTIFromTwoIssuersKeepTwoDedupKeys(t *testing.T) {
	corpusFiles(t)
	a := decodeFile(t, filepath.Join(corpusDir,
		"caep-risc/risc-account-disabled-hijacking.json"))
	b := decodeFile(t, filepath.Join(corpusDir,
		"caep-risc/risc-credential-compromise-password.json"))
	const jti = "756E69717565206964656E746966696572"
	if a.DedupKey != "risc:https://idp.example.com/#"+jti ||
		b.DedupKey != "risc:https://idp.example.com/3456790/#"+jti {
		t.Errorf("dedup keys %q and %q", a.DedupKey, b.DedupKey)
	}
}
