package signals

import (
	"strconv"
	"strings"
	"time"
)

// wazuhDecoder decodes one Wazuh alert, as the manager writes it to
// alerts.json and hands it to integrations (and as PUT /logtest returns
// it in data.output).
//
// Category: an alert in an authentication group is authentication, with
// the outcome failure (authentication_failed, authentication_failures,
// invalid_login, win_authentication_failed) or success
// (authentication_success); any other alert is threat, since a Wazuh
// rule that fired is a detection.
//
// Severity follows rule.level (0 to 16), in the bands Wazuh's own
// dashboard uses above the levels it calls of no security relevance:
// 0-3 info, 4-6 low, 7-11 medium, 12-14 high, 15-16 critical. A level
// outside 0-16, or not a whole number, is a FieldError.
//
// The time is timestamp, which Wazuh writes with a numeric offset and no
// colon ("2020-11-10T17:46:23.289+0000"); RFC 3339 is read too.
//
// The dedup key is wazuh:<manager.name>:<id> (wazuh:<id> without a
// manager name): the alert id is unique per manager, not per cluster.
//
// Subjects: data.srcuser (who acted) as actor and data.dstuser (who it
// was done as or to) as target, and the Windows event's subjectUserName
// and targetUserName likewise, except in a successful sign-in, where
// the account signed into (dstuser, targetUserName) is who now acts,
// and is the actor too; data.srcip and the Windows ipAddress as
// sources; the agent's host (agent.name) as a device_id location.
//
// full_log is not kept: a user name an attacker or a hurried person
// typed may be a password, and a command line may carry one.
type wazuhDecoder struct{}

var wazuhAuthGroups = map[string]string{
	"authentication_success":    "success",
	"authentication_failed":     "failure",
	"authentication_failures":   "failure",
	"invalid_login":             "failure",
	"win_authentication_failed": "failure",
}

// wazuhTimeLayout is how Wazuh writes timestamp.
const wazuhTimeLayout = "2006-01-02T15:04:05.999999999-0700"

// Format returns FormatWazuh.
func (wazuhDecoder) Format() Format { return FormatWazuh }

// Detect accepts a document with a rule object whose level is a number
// and whose id is a string or number, an agent object and a timestamp
// string, and that the ECS decoder does not accept (an ECS document may
// copy Wazuh's rule and agent, and is read as ECS). An ECS version
// alone does not make one: Filebeat adds it, and @timestamp, to every
// line of alerts.json it ships, and such an alert has no event fields.
func (wazuhDecoder) Detect(doc map[string]any) bool {
	_, level := number(doc, "rule.level")
	return level && text(doc, "rule.id") != "" &&
		obj(doc, "agent") != nil && str(doc, "timestamp") != "" &&
		!(ecsDecoder{}).Detect(doc)
}

// markers are the fields Detect keys on, for nearMiss.
func (wazuhDecoder) markers(doc map[string]any) (map[string]any, []marker) {
	return doc, []marker{numberMarker("rule.level"), textMarker("rule.id"),
		objectMarker("agent"), stringMarker("timestamp")}
}

// Decode normalises a Wazuh alert.
func (wazuhDecoder) Decode(doc map[string]any) (Signal, error) {
	id, err := requireText(FormatWazuh, doc, "id")
	if err != nil {
		return Signal{}, err
	}
	t, err := wazuhTime(doc)
	if err != nil {
		return Signal{}, err
	}
	sev, err := wazuhSeverity(doc)
	if err != nil {
		return Signal{}, err
	}
	groups := strs(doc, "rule.groups")
	outcome := wazuhOutcome(groups)
	category := CategoryThreat
	if outcome != "" {
		category = CategoryAuthentication
	}
	key := "wazuh:" + id
	if m := str(doc, "manager.name"); m != "" {
		key = "wazuh:" + m + ":" + id
	}
	return Signal{
		Format:     FormatWazuh,
		Category:   category,
		Type:       text(doc, "rule.id"),
		Severity:   sev,
		Time:       t,
		DedupKey:   key,
		Subjects:   wazuhSubjects(doc, outcome),
		Summary:    str(doc, "rule.description"),
		Attributes: wazuhAttributes(doc, groups, outcome),
	}, nil
}

func wazuhTime(doc map[string]any) (time.Time, error) {
	s := str(doc, "timestamp")
	if t, ok := parseRFC3339(s); ok {
		return t, nil
	}
	t, err := time.Parse(wazuhTimeLayout, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, fieldErr(FormatWazuh, "timestamp",
			"not a Wazuh or RFC 3339 time", s)
	}
	return t.UTC(), nil
}

func wazuhSeverity(doc map[string]any) (Severity, error) {
	n, _ := number(doc, "rule.level")
	level, err := strconv.Atoi(n.String())
	if err != nil || level < 0 || level > 16 {
		return "", fieldErr(FormatWazuh, "rule.level",
			"not a Wazuh level from 0 to 16", n)
	}
	switch {
	case level <= 3:
		return SeverityInfo, nil
	case level <= 6:
		return SeverityLow, nil
	case level <= 11:
		return SeverityMedium, nil
	case level <= 14:
		return SeverityHigh, nil
	}
	return SeverityCritical, nil
}

// wazuhOutcome is failure when a group says a sign-in failed, success
// when one says it succeeded, and "" for an alert in no such group.
func wazuhOutcome(groups []string) string {
	outcome := ""
	for _, g := range groups {
		switch wazuhAuthGroups[g] {
		case "failure":
			return "failure"
		case "success":
			outcome = "success"
		}
	}
	return outcome
}

func wazuhSubjects(doc map[string]any, outcome string) []Subject {
	var l subjectList
	win := obj(doc, "data.win.eventdata")
	signedInto := RoleTarget
	if outcome == "success" {
		signedInto = RoleActor
	}
	wazuhUser(&l, str(doc, "data.srcuser"), RoleActor)
	wazuhUser(&l, str(win, "subjectUserName"), RoleActor)
	wazuhUser(&l, str(doc, "data.dstuser"), signedInto)
	wazuhUser(&l, str(win, "targetUserName"), signedInto)
	l.addIP(str(doc, "data.srcip"), RoleSource)
	l.addIP(str(win, "ipAddress"), RoleSource)
	l.add(SubjectDeviceID, str(doc, "agent.name"), RoleLocation)
	return l.list()
}

// wazuhUser adds a user name; Windows writes "-" for none.
func wazuhUser(l *subjectList, name string, r Role) {
	if strings.TrimSpace(name) != "-" {
		l.addLogin(name, r)
	}
}

func wazuhAttributes(doc map[string]any, groups []string,
	outcome string) map[string]any {
	a := attrs{}
	a.number("level", doc, "rule.level")
	a.text("rule_groups", strings.Join(groups, ","))
	a.text("outcome", outcome)
	a.text("decoder", str(doc, "decoder.name"))
	a.text("location", str(doc, "location"))
	a.text("agent_id", text(doc, "agent.id"))
	a.text("agent_name", str(doc, "agent.name"))
	a.number("fired_times", doc, "rule.firedtimes")
	a.text("mitre_ids", strings.Join(strs(doc, "rule.mitre.id"), ","))
	return a
}
