package signals

import "strconv"

// guardDutyDecoder decodes one Amazon GuardDuty finding, as exported by
// GetFindings or delivered through EventBridge (the envelope's detail is
// read; see awsDetail).
//
// Category is always threat.
//
// Severity comes from GuardDuty's number, in its documented bands:
// below 4 low, below 7 medium, below 9 high, 9 and above critical.
//
// The dedup key is guardduty:<id>:<updatedAt>: GuardDuty updates a
// finding in place when the activity repeats, and each update is a new
// alert. The time is updatedAt.
//
// Sample findings (service.additionalInfo.sample true) are decoded like
// any other and carry the attribute sample=true, as do the placeholder
// values GuardDuty generates for them: they are what the payload says.
type guardDutyDecoder struct{}

// Format returns FormatGuardDuty.
func (guardDutyDecoder) Format() Format { return FormatGuardDuty }

// Detect accepts a finding with schemaVersion, type, a numeric severity
// and a service block naming GuardDuty (serviceName "guardduty", or a
// detectorId).
func (guardDutyDecoder) Detect(doc map[string]any) bool {
	f := awsDetail(doc)
	_, scored := number(f, "severity")
	service := str(f, "service.serviceName") == "guardduty" ||
		str(f, "service.detectorId") != ""
	return str(f, "schemaVersion") != "" && str(f, "type") != "" &&
		scored && service
}

// markers are the fields Detect keys on, for nearMiss.
func (guardDutyDecoder) markers(doc map[string]any) (map[string]any, []marker) {
	service := marker{path: "service", problem: "names neither guardduty " +
		"nor a detector", ok: func(v any) bool {
		s, _ := v.(map[string]any)
		return str(s, "serviceName") == "guardduty" || str(s, "detectorId") != ""
	}}
	return awsDetail(doc), []marker{stringMarker("schemaVersion"),
		stringMarker("type"), numberMarker("severity"), service}
}

// Decode normalises a GuardDuty finding.
func (guardDutyDecoder) Decode(doc map[string]any) (Signal, error) {
	f := awsDetail(doc)
	id, err := requireText(FormatGuardDuty, f, "id")
	if err != nil {
		return Signal{}, err
	}
	t, err := rfc3339At(FormatGuardDuty, f, "updatedAt")
	if err != nil {
		return Signal{}, err
	}
	sev, err := guardDutySeverity(f)
	if err != nil {
		return Signal{}, err
	}
	return Signal{
		Format:     FormatGuardDuty,
		Category:   CategoryThreat,
		Type:       str(f, "type"),
		Severity:   sev,
		Time:       t,
		DedupKey:   "guardduty:" + id + ":" + str(f, "updatedAt"),
		Subjects:   guardDutySubjects(f),
		Summary:    str(f, "title"),
		Attributes: guardDutyAttributes(f),
	}, nil
}

func guardDutySeverity(f map[string]any) (Severity, error) {
	n, _ := number(f, "severity")
	score, err := strconv.ParseFloat(n.String(), 64)
	if err != nil {
		return "", fieldErr(FormatGuardDuty, "severity", "not a number", n)
	}
	switch {
	case score < 4:
		return SeverityLow, nil
	case score < 7:
		return SeverityMedium, nil
	case score < 9:
		return SeverityHigh, nil
	}
	return SeverityCritical, nil
}

// guardDutyRemoteIPs are where GuardDuty puts the remote address, one
// place per kind of action.
var guardDutyRemoteIPs = []string{
	"service.action.awsApiCallAction.remoteIpDetails",
	"service.action.networkConnectionAction.remoteIpDetails",
	"service.action.kubernetesApiCallAction.remoteIpDetails",
	"service.action.rdsLoginAttemptAction.remoteIpDetails",
}

// guardDutySubjects names the IAM principal and key the finding is about
// and the remote addresses involved.
func guardDutySubjects(f map[string]any) []Subject {
	var l subjectList
	key := obj(f, "resource.accessKeyDetails")
	l.add(SubjectUsername, str(key, "userName"), RoleTarget)
	l.add(SubjectUserID, str(key, "principalId"), RoleTarget)
	l.add(SubjectAccessKeyID, str(key, "accessKeyId"), RoleCredential)
	for _, p := range guardDutyRemoteIPs {
		addRemoteIP(&l, obj(f, p))
	}
	probes := "service.action.portProbeAction.portProbeDetails"
	for _, probe := range objects(f, probes) {
		addRemoteIP(&l, obj(probe, "remoteIpDetails"))
	}
	return l.list()
}

func addRemoteIP(l *subjectList, details map[string]any) {
	l.addIP(str(details, "ipAddressV4"), RoleSource)
	l.addIP(str(details, "ipAddressV6"), RoleSource)
}

func guardDutyAttributes(f map[string]any) map[string]any {
	a := attrs{}
	a.number("severity_score", f, "severity")
	a.text("resource_type", str(f, "resource.resourceType"))
	a.text("user_type", str(f, "resource.accessKeyDetails.userType"))
	a.text("account_id", str(f, "accountId"))
	a.text("region", str(f, "region"))
	a.flag("sample", f, "service.additionalInfo.sample")
	return a
}
