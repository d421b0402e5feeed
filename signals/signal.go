// Package signals detects the format of a security alert payload and
// decodes it into one normalised Signal that the rest of killswitch reads.
//
// Decoding never guesses: a payload that no decoder recognises is an
// ErrUnknownFormat, and a recognised payload with a bad field is a
// *FieldError that names the format, the field and the offending value.
package signals

import "time"

// Format names the wire format a payload was decoded from.
type Format string

// The formats killswitch decodes.
const (
	FormatOCSF                 Format = "ocsf"
	FormatOkta                 Format = "okta"
	FormatCloudTrail           Format = "cloudtrail"
	FormatGuardDuty            Format = "guardduty"
	FormatGitHubSecretScanning Format = "github_secret_scanning"
	FormatGitGuardian          Format = "gitguardian"
	FormatCAEP                 Format = "caep"
	FormatRISC                 Format = "risc"
	FormatMSGraphRisk          Format = "ms_graph_risk"
	FormatSentinel             Format = "sentinel"
	FormatGoogleWorkspace      Format = "google_workspace"
	FormatFalco                Format = "falco"
	FormatWazuh                Format = "wazuh"
	FormatSplunk               Format = "splunk"
	FormatECS                  Format = "ecs"
)

// Severity is the normalised severity of a signal.
type Severity string

// The severities, from least to most urgent.
const (
	SeverityInfo     Severity = "info"
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// Rank orders severities: info is 0, critical is 4, an unknown value -1.
func (s Severity) Rank() int {
	switch s {
	case SeverityInfo:
		return 0
	case SeverityLow:
		return 1
	case SeverityMedium:
		return 2
	case SeverityHigh:
		return 3
	case SeverityCritical:
		return 4
	}
	return -1
}

// Category is what kind of event a signal reports, independent of format.
// Policies match on it.
type Category string

// The categories a decoder may assign.
const (
	// CategorySecretExposure: a secret was found where it should not be
	// (secret scanning, GitGuardian).
	CategorySecretExposure Category = "secret_exposure"
	// CategoryThreat: a detector reports malicious or suspicious activity
	// (GuardDuty, OCSF Detection Finding).
	CategoryThreat Category = "threat"
	// CategoryAuthentication: a sign-in, sign-out or credential challenge.
	CategoryAuthentication Category = "authentication"
	// CategoryAccountChange: an account was locked, changed or reset.
	CategoryAccountChange Category = "account_change"
	// CategoryAPIActivity: an audited API call (CloudTrail management
	// events that are not sign-ins).
	CategoryAPIActivity Category = "api_activity"
	// CategorySessionRevoked: a transmitter says a session was revoked
	// (CAEP session-revoked).
	CategorySessionRevoked Category = "session_revoked"
	// CategoryCredentialChange: a credential was created, changed or
	// revoked (CAEP credential-change).
	CategoryCredentialChange Category = "credential_change"
	// CategoryAccountDisabled: the account was disabled by its issuer
	// (RISC account-disabled).
	CategoryAccountDisabled Category = "account_disabled"
	// CategoryCredentialCompromise: the issuer says a credential is
	// compromised (RISC credential-compromise).
	CategoryCredentialCompromise Category = "credential_compromise"
	// CategoryOther: a recognised format whose event fits no category
	// above. Shipped policies never act on it.
	CategoryOther Category = "other"
)

// SubjectType says what kind of identifier a Subject carries.
type SubjectType string

// The identifier types a subject may have. Resolution looks each one up in
// the registry's aliases.
const (
	SubjectEmail       SubjectType = "email"
	SubjectUsername    SubjectType = "username"
	SubjectUserID      SubjectType = "user_id"
	SubjectAccessKeyID SubjectType = "access_key_id"
	SubjectARN         SubjectType = "arn"
	SubjectIP          SubjectType = "ip"
	SubjectSessionID   SubjectType = "session_id"
	SubjectDeviceID    SubjectType = "device_id"
	SubjectClientID    SubjectType = "client_id"
	SubjectSecretHash  SubjectType = "secret_hash"
	SubjectRepository  SubjectType = "repository"
)

// Role says how a subject takes part in the event. Policies use it to
// avoid acting on a bystander (the operator who reopened an alert, the
// source IP of an attack).
type Role string

// The roles a subject may have.
const (
	// RoleActor: the identity that performed the action or signed in.
	RoleActor Role = "actor"
	// RoleTarget: the identity or session the event is about.
	RoleTarget Role = "target"
	// RoleCredential: identifies the credential involved (a key id, a
	// secret's fingerprint).
	RoleCredential Role = "credential"
	// RoleSource: where the activity came from (an IP, a device).
	RoleSource Role = "source"
	// RoleLocation: where something was found (a repository).
	RoleLocation Role = "location"
)

// Subject is one identifier named by a signal.
type Subject struct {
	Type  SubjectType `json:"type"`
	Value string      `json:"value"`
	Role  Role        `json:"role,omitempty"`
}

// Signal is one decoded, normalised security alert.
type Signal struct {
	// Format is the wire format it was decoded from.
	Format Format `json:"format"`
	// Category is the kind of event, for policies to match on.
	Category Category `json:"category"`
	// Type is the vendor's own event type, kept verbatim
	// ("user.session.start", "UnauthorizedAccess:IAMUser/TorIPCaller",
	// a CAEP event-type URI).
	Type string `json:"type"`
	// Severity is normalised to the five levels above.
	Severity Severity `json:"severity"`
	// Time is when the event happened according to the source, in UTC.
	Time time.Time `json:"time"`
	// DedupKey is stable across redeliveries of the same alert, and
	// differs between two different alerts of the same source.
	DedupKey string `json:"dedup_key"`
	// Subjects are the identifiers the signal names, in payload order,
	// without duplicates.
	Subjects []Subject `json:"subjects"`
	// Summary is one human-readable line (a title or display message).
	Summary string `json:"summary,omitempty"`
	// Attributes holds format-specific facts a policy may need
	// ("secret_type", "validity", "change_type", "reason", "outcome").
	// Values are strings, bools or json.Number; never a secret. One is
	// shared: "resolved" is true when the source reports the finding as
	// dealt with (a closed incident, a dismissed or remediated risk).
	Attributes map[string]any `json:"attributes,omitempty"`
}

// Decoder decodes one format. Detect must be cheap and must not accept a
// payload of another format; Decode may assume Detect returned true.
type Decoder interface {
	// Format is the format this decoder produces.
	Format() Format
	// Detect reports whether the document is in this decoder's format.
	Detect(doc map[string]any) bool
	// Decode normalises the document into a Signal.
	Decode(doc map[string]any) (Signal, error)
}
