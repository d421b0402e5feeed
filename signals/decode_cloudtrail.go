package signals

import "strings"

// cloudTrailDecoder decodes one AWS CloudTrail record: one element of a
// log file's Records array, or the detail of an EventBridge event (see
// awsDetail).
//
// Category: sign-in events (eventSource signin.amazonaws.com, or the
// names ConsoleLogin, CredentialChallenge, CredentialVerification) are
// authentication; every other call is api_activity.
//
// Severity is info, except for a sign-in that failed, and a ConsoleLogin
// that succeeded without MFA (additionalEventData.MFAUsed "No"): those
// are low. CloudTrail records what happened; it judges nothing.
//
// The dedup key is cloudtrail:<eventID>; the time is eventTime.
type cloudTrailDecoder struct{}

var cloudTrailSignIns = map[string]bool{
	"ConsoleLogin":           true,
	"CredentialChallenge":    true,
	"CredentialVerification": true,
}

// cloudTrailHidden is what CloudTrail writes instead of the user name of
// a failed sign-in to an account that has no such user.
const cloudTrailHidden = "HIDDEN_DUE_TO_SECURITY_REASONS"

// Format returns FormatCloudTrail.
func (cloudTrailDecoder) Format() Format { return FormatCloudTrail }

// Detect accepts a record with eventVersion, eventSource, eventName and
// eventTime.
func (cloudTrailDecoder) Detect(doc map[string]any) bool {
	doc = awsDetail(doc)
	return str(doc, "eventVersion") != "" && str(doc, "eventSource") != "" &&
		str(doc, "eventName") != "" && str(doc, "eventTime") != ""
}

// markers are the fields Detect keys on, for nearMiss.
func (cloudTrailDecoder) markers(doc map[string]any) (map[string]any, []marker) {
	return awsDetail(doc), []marker{stringMarker("eventVersion"),
		stringMarker("eventSource"), stringMarker("eventName"),
		stringMarker("eventTime")}
}

// Decode normalises a CloudTrail record.
func (cloudTrailDecoder) Decode(doc map[string]any) (Signal, error) {
	doc = awsDetail(doc)
	id, err := requireText(FormatCloudTrail, doc, "eventID")
	if err != nil {
		return Signal{}, err
	}
	t, err := rfc3339At(FormatCloudTrail, doc, "eventTime")
	if err != nil {
		return Signal{}, err
	}
	name := str(doc, "eventName")
	signIn := cloudTrailSignIns[name] ||
		str(doc, "eventSource") == "signin.amazonaws.com"
	outcome := cloudTrailOutcome(doc)
	a := cloudTrailAttributes(doc, outcome)
	return Signal{
		Format:     FormatCloudTrail,
		Category:   cloudTrailCategory(signIn),
		Type:       name,
		Severity:   cloudTrailSeverity(name, signIn, a),
		Time:       t,
		DedupKey:   "cloudtrail:" + id,
		Subjects:   cloudTrailSubjects(doc),
		Summary:    cloudTrailSummary(doc, outcome),
		Attributes: a,
	}, nil
}

func cloudTrailCategory(signIn bool) Category {
	if signIn {
		return CategoryAuthentication
	}
	return CategoryAPIActivity
}

func cloudTrailSeverity(name string, signIn bool, a attrs) Severity {
	failed := a["outcome"] == "failure"
	noMFA := a["mfa_used"] == false
	switch {
	case signIn && failed:
		return SeverityLow
	case name == "ConsoleLogin" && noMFA:
		return SeverityLow
	}
	return SeverityInfo
}

// cloudTrailOutcome reads the result a sign-in reports under its own
// name (responseElements.ConsoleLogin, serviceEventDetails.
// CredentialChallenge); for other calls an error code means failure.
func cloudTrailOutcome(doc map[string]any) string {
	name := str(doc, "eventName")
	for _, p := range []string{"responseElements.", "serviceEventDetails."} {
		if r := strings.TrimSpace(str(doc, p+name)); r != "" {
			return strings.ToLower(r)
		}
	}
	if str(doc, "errorCode") != "" || str(doc, "errorMessage") != "" {
		return "failure"
	}
	return "success"
}

func cloudTrailAttributes(doc map[string]any, outcome string) attrs {
	a := attrs{}
	a.text("outcome", outcome)
	if mfa := str(doc, "additionalEventData.MFAUsed"); mfa != "" {
		a["mfa_used"] = strings.EqualFold(mfa, "yes")
	} else {
		a.flag("mfa_used", doc,
			"userIdentity.sessionContext.attributes.mfaAuthenticated")
	}
	a.text("event_source", str(doc, "eventSource"))
	a.text("identity_type", str(doc, "userIdentity.type"))
	a.text("account_id", firstText(doc, "recipientAccountId",
		"userIdentity.accountId"))
	a.text("region", str(doc, "awsRegion"))
	a.text("error_code", str(doc, "errorCode"))
	return a
}

// cloudTrailSubjects names the identity that made the call, the key it
// signed with, and the address it came from.
func cloudTrailSubjects(doc map[string]any) []Subject {
	var l subjectList
	l.add(SubjectARN, str(doc, "userIdentity.arn"), RoleActor)
	for _, p := range []string{
		"userIdentity.userName",
		"userIdentity.sessionContext.sessionIssuer.userName",
		"additionalEventData.UserName",
	} {
		if name := str(doc, p); name != cloudTrailHidden {
			l.add(SubjectUsername, name, RoleActor)
		}
	}
	l.add(SubjectUserID, str(doc, "userIdentity.principalId"), RoleActor)
	l.add(SubjectUserID, str(doc, "userIdentity.onBehalfOf.userId"), RoleActor)
	l.add(SubjectAccessKeyID, str(doc, "userIdentity.accessKeyId"),
		RoleCredential)
	l.addIP(str(doc, "sourceIPAddress"), RoleSource)
	return l.list()
}

func cloudTrailSummary(doc map[string]any, outcome string) string {
	who := firstText(doc, "userIdentity.arn", "userIdentity.userName",
		"additionalEventData.UserName", "userIdentity.principalId")
	if who == "" {
		who = "an unnamed identity"
	}
	return str(doc, "eventSource") + " " + str(doc, "eventName") +
		" by " + who + ": " + outcome
}
