package signals

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// gitHubDecoder decodes a GitHub secret_scanning_alert webhook (and its
// secret_scanning_alert_location variant).
//
// Category: the actions created, reopened, publicly_leaked and validated
// are secret_exposure; resolved, assigned, unassigned and any other
// action are other.
//
// Severity is high, and critical when the secret is known to be live or
// public: action publicly_leaked, alert.publicly_leaked true, or
// alert.validity "active".
//
// The dedup key is github_secret_scanning:<repository>#<number>:<action>.
// The time is alert.updated_at, else resolved_at, else created_at. The
// webhook example GitHub publishes has none of them; then the
// repository's updated_at or pushed_at is used, which is no later than
// the event, and the attribute time_estimated is true.
//
// alert.secret is optional. When present it becomes a secret_hash
// subject, sha256:<hex>, and the secret itself is kept nowhere: not in
// the Signal, not in an error. Present with another type than string, it
// is a FieldError.
type gitHubDecoder struct{}

var gitHubExposureActions = map[string]bool{
	"created": true, "reopened": true,
	"publicly_leaked": true, "validated": true,
}

var gitHubOtherActions = map[string]bool{
	"resolved": true, "assigned": true, "unassigned": true,
}

// gitHubOtherAlertKeys mark the alerts of code scanning (rule, tool) and
// Dependabot (security_advisory, dependency), whose webhooks share the
// alert.number, action and repository shape.
var gitHubOtherAlertKeys = []string{
	"rule", "tool", "most_recent_instance",
	"security_advisory", "security_vulnerability", "dependency",
}

// Format returns FormatGitHubSecretScanning.
func (gitHubDecoder) Format() Format { return FormatGitHubSecretScanning }

// Detect accepts a webhook with repository.full_name and an alert that
// has a secret_type, or, failing that, an alert number, a secret
// scanning action, and none of the keys of other kinds of alert.
func (gitHubDecoder) Detect(doc map[string]any) bool {
	alert := obj(doc, "alert")
	if alert == nil || str(doc, "repository.full_name") == "" {
		return false
	}
	if str(alert, "secret_type") != "" {
		return true
	}
	action := str(doc, "action")
	known := gitHubExposureActions[action] || gitHubOtherActions[action]
	return known && text(alert, "number") != "" && !gitHubOtherAlert(alert)
}

func gitHubOtherAlert(alert map[string]any) bool {
	for _, k := range gitHubOtherAlertKeys {
		if _, ok := alert[k]; ok {
			return true
		}
	}
	return false
}

// markers are the fields Detect keys on, for nearMiss.
func (gitHubDecoder) markers(doc map[string]any) (map[string]any, []marker) {
	return doc, []marker{objectMarker("alert"),
		stringMarker("repository.full_name"), textMarker("alert.number")}
}

// Decode normalises a secret scanning webhook.
func (gitHubDecoder) Decode(doc map[string]any) (Signal, error) {
	f := FormatGitHubSecretScanning
	number, err := requireText(f, doc, "alert.number")
	if err != nil {
		return Signal{}, err
	}
	action, err := requireText(f, doc, "action")
	if err != nil {
		return Signal{}, err
	}
	t, from, err := firstTime(f, doc, "alert.updated_at", "alert.resolved_at",
		"alert.created_at", "repository.updated_at", "repository.pushed_at")
	if err != nil {
		return Signal{}, err
	}
	secret, err := secretText(f, doc, "alert.secret")
	if err != nil {
		return Signal{}, err
	}
	repo := str(doc, "repository.full_name")
	a := gitHubAttributes(doc, strings.HasPrefix(from, "repository."))
	return Signal{
		Format:     f,
		Category:   gitHubCategory(action),
		Type:       gitHubType(doc, action),
		Severity:   gitHubSeverity(doc, action),
		Time:       t,
		DedupKey:   fmt.Sprintf("%s:%s#%s:%s", f, repo, number, action),
		Subjects:   gitHubSubjects(doc, secret),
		Summary:    gitHubSummary(doc, number, action),
		Attributes: a,
	}, nil
}

func gitHubCategory(action string) Category {
	if gitHubExposureActions[action] {
		return CategorySecretExposure
	}
	return CategoryOther
}

// gitHubType is the webhook event name and its action, as GitHub names
// them in the X-GitHub-Event header and the action field.
func gitHubType(doc map[string]any, action string) string {
	if obj(doc, "location") != nil {
		return "secret_scanning_alert_location." + action
	}
	return "secret_scanning_alert." + action
}

func gitHubSeverity(doc map[string]any, action string) Severity {
	leaked, _ := flag(doc, "alert.publicly_leaked")
	live := str(doc, "alert.validity") == "active"
	if action == "publicly_leaked" || leaked || live {
		return SeverityCritical
	}
	return SeverityHigh
}

// gitHubSubjects names the secret's fingerprint, the repository it was
// found in, and who sent the event or pushed the secret.
func gitHubSubjects(doc map[string]any, secret string) []Subject {
	var l subjectList
	if secret != "" {
		l.add(SubjectSecretHash, secretHash(secret), RoleCredential)
	}
	l.add(SubjectRepository, str(doc, "repository.full_name"), RoleLocation)
	l.add(SubjectUsername, str(doc, "alert.push_protection_bypassed_by.login"),
		RoleActor)
	l.add(SubjectUsername, str(doc, "sender.login"), RoleActor)
	return l.list()
}

// secretHash is the fingerprint the registry stores for a credential:
// sha256:<hex> of the secret's exact bytes.
func secretHash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return "sha256:" + hex.EncodeToString(sum[:])
}

func gitHubSummary(doc map[string]any, number, action string) string {
	kind := ""
	if t := str(doc, "alert.secret_type"); t != "" {
		kind = " (" + t + ")"
	}
	return fmt.Sprintf("secret scanning alert #%s%s %s in %s", number, kind,
		action, str(doc, "repository.full_name"))
}

func gitHubAttributes(doc map[string]any, estimated bool) map[string]any {
	a := attrs{}
	a.text("secret_type", str(doc, "alert.secret_type"))
	a.text("validity", str(doc, "alert.validity"))
	a.text("resolution", str(doc, "alert.resolution"))
	a.flag("publicly_leaked", doc, "alert.publicly_leaked")
	a.flag("push_protection_bypassed", doc, "alert.push_protection_bypassed")
	if estimated {
		a["time_estimated"] = true
	}
	return a
}
