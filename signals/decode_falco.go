package signals

import (
	"encoding/json"
	"strings"
)

// falcoDecoder decodes one Falco alert as Falco writes it with
// json_output (to a file, stdout, an HTTP output or a gRPC client) or
// as falcosidekick forwards it (the same fields, with a uuid).
//
// Category is always threat: every Falco alert is a rule that matched.
//
// Severity follows the rule's priority: emergency, alert and critical
// are critical; error is high; warning medium; notice low;
// informational and debug info.
//
// The time is time, an RFC 3339 time with nanoseconds. The output field
// evt.time.iso8601, which some pipelines write as an epoch number of
// nanoseconds above 2^53, is kept as an attribute with every digit.
//
// The dedup key is falco:<uuid> when falcosidekick gave one; Falco
// itself sends no id, so otherwise it is falco:sha256:<digest of the
// document with sorted keys>, the same for every redelivery.
//
// Subjects, by the alert's source:
//
//   - syscall (or no source), a process in a container: the container
//     and its Kubernetes pod as device_id targets: the container by its
//     id, and in Kubernetes by its name and its pod's name each within
//     its namespace ("payments/payments-api", "payments/payments-api-
//     6c8d7f9b4-q7w2e"). A name is unique only in its namespace, and
//     whoever may start a pod in any namespace chooses it: bare, it is
//     named only as a device_id location (a container named
//     "payments-api" in a sandbox namespace is not the payments API). A
//     container outside Kubernetes (no k8s.ns.name) is the target by its
//     bare name: naming one takes the container runtime of that host. A
//     user name inside a container comes from the image's own accounts
//     ("root") and names no one in the registry, so it is kept as an
//     attribute only;
//   - syscall, a process on the host (container.id "host"): the host
//     (hostname) as the device_id target, and the login user
//     (user.loginname, unless user.loginuid is -1) and the effective user
//     (user.name) as actors;
//   - k8s_audit: the requesting user (ka.user.name, an e-mail or a
//     service account name) as the actor;
//   - okta (the Okta plugin): as Okta's own events do, the actor
//     (okta.actor.id and alternateid, unless okta.actor.Type says it is
//     not a User; a PublicClientApp by its id as a client_id) and its
//     session (okta.authentication.sessionid) as the actor, the target
//     user (okta.target.user.id and alternateid) as the target, and
//     okta.client.ip as the source;
//   - aws_cloudtrail (the CloudTrail plugin): the caller (ct.user.arn,
//     ct.user) as the actor, the IAM user a request names
//     (ct.request.username) as the target, ct.srcip as the source;
//   - any other plugin source: no one.
//
// Whatever the source, the host Falco ran on is named too, as a
// device_id location when it is not the target: a rule whose output
// names no container.id does not say whether its process ran on the
// host, so the host is not taken for its target.
//
// Falco writes "<NA>" for a field it could not fill; that reads as
// absent, as does null.
//
// The alert's output line and the command lines in output_fields are
// not kept: a command line may carry a password or a token.
type falcoDecoder struct{}

var falcoPriorities = map[string]Severity{
	"emergency": SeverityCritical, "alert": SeverityCritical,
	"critical": SeverityCritical, "error": SeverityHigh,
	"warning": SeverityMedium, "notice": SeverityLow,
	"informational": SeverityInfo, "info": SeverityInfo,
	"debug": SeverityInfo,
}

// falcoAttributeFields are the output fields kept as attributes, under
// their Falco names: who and where, never a command line or arguments.
var falcoAttributeFields = []string{
	"container.id", "container.name", "container.image.repository",
	"container.image.tag", "k8s.ns.name", "k8s.pod.name",
	"proc.name", "proc.exepath", "proc.pname", "user.name", "user.uid",
	"user.loginname", "user.loginuid", "evt.type", "evt.time.iso8601",
	"fd.name", "ka.user.name", "ka.verb", "ka.target.resource",
	"ka.target.namespace", "ka.target.name", "okta.evt.type", "okta.app",
	"okta.result", "ct.name", "ct.src", "ct.user.identitytype",
}

// Format returns FormatFalco.
func (falcoDecoder) Format() Format { return FormatFalco }

// Detect accepts a document whose rule is a string, whose priority is a
// Falco priority name, with a time string and an output_fields member
// (an object, or null when the rule outputs no field).
func (falcoDecoder) Detect(doc map[string]any) bool {
	_, fields := doc["output_fields"]
	return str(doc, "rule") != "" && isFalcoPriority(doc["priority"]) &&
		str(doc, "time") != "" && fields
}

// markers are the fields Detect keys on, for nearMiss.
func (falcoDecoder) markers(doc map[string]any) (map[string]any, []marker) {
	priority := marker{path: "priority", problem: "not a Falco priority",
		ok: isFalcoPriority}
	return doc, []marker{stringMarker("rule"), priority,
		stringMarker("time"), objectMarker("output_fields")}
}

func isFalcoPriority(v any) bool {
	s, _ := v.(string)
	_, ok := falcoPriorities[strings.ToLower(s)]
	return ok
}

// Decode normalises a Falco alert.
func (falcoDecoder) Decode(doc map[string]any) (Signal, error) {
	fields, err := falcoFields(doc)
	if err != nil {
		return Signal{}, err
	}
	t, err := rfc3339At(FormatFalco, doc, "time")
	if err != nil {
		return Signal{}, err
	}
	rule := str(doc, "rule")
	return Signal{
		Format:     FormatFalco,
		Category:   CategoryThreat,
		Type:       rule,
		Severity:   falcoPriorities[strings.ToLower(str(doc, "priority"))],
		Time:       t,
		DedupKey:   falcoDedupKey(doc),
		Subjects:   falcoSubjects(doc, fields),
		Summary:    rule,
		Attributes: falcoAttributes(doc, fields),
	}, nil
}

// falcoFields returns output_fields, nil when it is null.
func falcoFields(doc map[string]any) (map[string]any, error) {
	switch v := doc["output_fields"].(type) {
	case nil:
		return nil, nil
	case map[string]any:
		return v, nil
	}
	return nil, fieldErr(FormatFalco, "output_fields", "not an object", nil)
}

// falcoNA is what Falco writes for a field it could not fill.
const falcoNA = "<NA>"

// falcoText returns an output field as text: a string other than
// "<NA>", or a number as written; anything else reads as "".
func falcoText(fields map[string]any, name string) string {
	switch v := fields[name].(type) {
	case string:
		if v != falcoNA {
			return v
		}
	case json.Number:
		return v.String()
	}
	return ""
}

func falcoDedupKey(doc map[string]any) string {
	if id := str(doc, "uuid"); id != "" {
		return "falco:" + id
	}
	return "falco:sha256:" + digest(doc)
}

func falcoSubjects(doc, fields map[string]any) []Subject {
	var l subjectList
	host := str(doc, "hostname")
	container := falcoText(fields, "container.id")
	switch source := str(doc, "source"); {
	case source == "k8s_audit":
		l.addLogin(falcoText(fields, "ka.user.name"), RoleActor)
	case source == "okta":
		falcoOkta(&l, fields)
	case source == "aws_cloudtrail":
		falcoCloudTrail(&l, fields)
	case source != "" && source != "syscall":
	case container == "host":
		l.add(SubjectDeviceID, host, RoleTarget)
		if falcoText(fields, "user.loginuid") != "-1" {
			l.addLogin(falcoText(fields, "user.loginname"), RoleActor)
		}
		l.addLogin(falcoText(fields, "user.name"), RoleActor)
	default:
		falcoContainer(&l, fields)
	}
	l.add(SubjectDeviceID, host, RoleLocation)
	return l.list()
}

// falcoOkta names whom an alert of the Okta plugin is about.
func falcoOkta(l *subjectList, fields map[string]any) {
	actor := oktaValue(falcoText(fields, "okta.actor.id"))
	switch falcoText(fields, "okta.actor.Type") {
	case "User", "":
		l.add(SubjectUserID, actor, RoleActor)
		l.addLogin(oktaValue(falcoText(fields, "okta.actor.alternateid")),
			RoleActor)
	case "PublicClientApp":
		l.add(SubjectClientID, actor, RoleActor)
	}
	l.add(SubjectSessionID,
		oktaValue(falcoText(fields, "okta.authentication.sessionid")), RoleActor)
	l.add(SubjectUserID, oktaValue(falcoText(fields, "okta.target.user.id")),
		RoleTarget)
	l.addLogin(oktaValue(falcoText(fields, "okta.target.user.alternateid")),
		RoleTarget)
	l.addIP(falcoText(fields, "okta.client.ip"), RoleSource)
}

// falcoCloudTrail names whom an alert of the CloudTrail plugin is about.
func falcoCloudTrail(l *subjectList, fields map[string]any) {
	l.add(SubjectARN, falcoText(fields, "ct.user.arn"), RoleActor)
	if user := falcoText(fields, "ct.user"); user != cloudTrailHidden {
		l.addLogin(user, RoleActor)
	}
	l.addLogin(falcoText(fields, "ct.request.username"), RoleTarget)
	l.addIP(falcoText(fields, "ct.srcip"), RoleSource)
}

// falcoContainer names a process's container and pod; see falcoDecoder
// for which names are targets.
func falcoContainer(l *subjectList, fields map[string]any) {
	l.add(SubjectDeviceID, falcoText(fields, "container.id"), RoleTarget)
	name := falcoText(fields, "container.name")
	if name == "host" {
		name = ""
	}
	pod := falcoText(fields, "k8s.pod.name")
	ns := falcoText(fields, "k8s.ns.name")
	if ns == "" {
		l.add(SubjectDeviceID, name, RoleTarget)
		l.add(SubjectDeviceID, pod, RoleLocation)
		return
	}
	for _, n := range []string{name, pod} {
		if strings.TrimSpace(n) != "" {
			l.add(SubjectDeviceID, ns+"/"+n, RoleTarget)
		}
	}
	l.add(SubjectDeviceID, name, RoleLocation)
}

func falcoAttributes(doc, fields map[string]any) map[string]any {
	a := attrs{}
	a.lower("priority", str(doc, "priority"))
	a.text("source", str(doc, "source"))
	a.text("hostname", str(doc, "hostname"))
	a.text("tags", strings.Join(strs(doc, "tags"), ","))
	for _, name := range falcoAttributeFields {
		switch v := fields[name].(type) {
		case string:
			if v != falcoNA {
				a.text(name, v)
			}
		case json.Number:
			a[name] = v
		}
	}
	return a
}
