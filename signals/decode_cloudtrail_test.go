package signals_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/killswitch-dev/killswitch/signals"
)

const cloudTrailBase = `{
  "eventVersion": "1.09",
  "eventTime": "2026-11-30T08:00:00Z",
  "eventSource": "signin.amazonaws.com",
  "eventName": "ConsoleLogin",
  "eventID": "00000000-0000-0000-0000-00000000c7a1",
  "userIdentity": {"type": "IAMUser", "principalId": "AIDABASE",
    "arn": "arn:aws:iam::111122223333:user/base", "userName": "base",
    "accountId": "111122223333"},
  "sourceIPAddress": "192.0.2.7",
  "responseElements": {"ConsoleLogin": "Success"},
  "additionalEventData": {"MFAUsed": "Yes"}
}`

func TestCloudTrailSeverityFlagsRiskySignIns(t *testing.T) {
	tests := []struct {
		name     string
		fields   map[string]any
		category signals.Category
		severity signals.Severity
		outcome  string
	}{
		{"A sign-in with MFA is info", nil,
			signals.CategoryAuthentication, signals.SeverityInfo, "success"},
		{"A sign-in without MFA is low", map[string]any{
			"additionalEventData": map[string]any{"MFAUsed": "No"}},
			signals.CategoryAuthentication, signals.SeverityLow, "success"},
		{"A failed sign-in is low", map[string]any{
			"responseElements": map[string]any{"ConsoleLogin": "Failure"}},
			signals.CategoryAuthentication, signals.SeverityLow, "failure"},
		{"A failed credential challenge is low", map[string]any{
			"eventName": "CredentialChallenge", "responseElements": nil,
			"serviceEventDetails": map[string]any{
				"CredentialChallenge": "Failure"}},
			signals.CategoryAuthentication, signals.SeverityLow, "failure"},
		{"A denied API call is info", map[string]any{
			"eventSource": "iam.amazonaws.com", "eventName": "CreateAccessKey",
			"responseElements": nil, "errorCode": "AccessDenied"},
			signals.CategoryAPIActivity, signals.SeverityInfo, "failure"},
		{"An API call is info", map[string]any{
			"eventSource": "s3.amazonaws.com", "eventName": "ListBuckets",
			"responseElements": nil, "additionalEventData": nil},
			signals.CategoryAPIActivity, signals.SeverityInfo, "success"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := decodeJSON(t, withFields(t, cloudTrailBase, tt.fields))
			if s.Category != tt.category || s.Severity != tt.severity ||
				s.Attributes["outcome"] != tt.outcome {
				t.Errorf("category, severity, outcome = %s, %s, %v; "+
					"want %s, %s, %s", s.Category, s.Severity,
					s.Attributes["outcome"], tt.category, tt.severity, tt.outcome)
			}
		})
	}
}

func TestCloudTrailSkipsPlaceholdersAndNonAddresses(t *testing.T) {
	tests := []struct {
		name, sourceIP string
	}{
		{"The unspecified address", "0.0.0.0"},
		{"A service name", "iam.amazonaws.com"},
		{"AWS Internal", "AWS Internal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := decodeJSON(t, withFields(t, cloudTrailBase, map[string]any{
				"sourceIPAddress": tt.sourceIP,
				"userIdentity": map[string]any{"type": "IAMUser",
					"accountId": "111122223333"},
				"additionalEventData": map[string]any{
					"UserName": "HIDDEN_DUE_TO_SECURITY_REASONS"},
			}))
			if len(s.Subjects) != 0 {
				t.Errorf("subjects = %v, want none", s.Subjects)
			}
		})
	}
}

func TestCloudTrailReadsTheDetailOfAnEventBridgeEvent(t *testing.T) {
	direct := decodeJSON(t, cloudTrailBase)
	wrapped := decodeJSON(t, `{"version": "0", "id": "eb-1",
		"detail-type": "AWS Console Sign In via CloudTrail",
		"source": "aws.signin", "time": "2026-11-30T08:00:01Z",
		"detail": `+cloudTrailBase+`}`)
	if wrapped.DedupKey != direct.DedupKey ||
		!slices.Equal(wrapped.Subjects, direct.Subjects) {
		t.Errorf("wrapped %v\n direct %v", wrapped, direct)
	}
}

func TestCloudTrailWithoutEventIDIsAFieldError(t *testing.T) {
	_, err := signals.Decode([]byte(withFields(t, cloudTrailBase,
		map[string]any{"eventID": nil})))
	var fe *signals.FieldError
	if !errors.As(err, &fe) ||
		err.Error() != "signal cloudtrail: eventID: missing" {
		t.Errorf("error = %v", err)
	}
}
