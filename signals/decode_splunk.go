package signals

import (
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// splunkDecoder decodes the payload of Splunk's webhook alert action:
// the search that fired (sid, search_name, app, owner, results_link)
// and the first row of its results (result). Splunk writes every value
// of that row as a string, a multivalue field as a list of strings, and
// "" for a field the row lacks; a value the decoder reads that is
// anything else is a FieldError naming it.
//
// Category is threat: someone wrote the search to alert.
//
// Severity: the webhook carries none of the saved search's own, so it
// is read from the row, result.severity, else result.urgency (Splunk
// Enterprise Security notables), as a CIM label (critical, high,
// medium, low, informational, unknown), a syslog level name (emerg ...
// debug) or Splunk's alert scale 1 to 6 (debug ... critical). A row with
// neither is info; another value is a FieldError.
//
// The time is result._time, epoch seconds as a string (with a fraction
// or not) or an RFC 3339 time. A row without _time (a search ending in
// stats, say) takes the time the scheduler ran the search, which its
// sid carries ("scheduler__admin__search__name_at_1483557185_2"); with
// neither it is a FieldError.
//
// The dedup key is splunk:<sid>:<digest of the result row>: a search set
// to alert for each result posts every row under one sid.
//
// Subjects, from the row's CIM fields: src_user (who acted), then user,
// which the CIM makes the account acted on when src_user is there (a
// privilege escalation, an account change) and the actor otherwise;
// user_name, user_id, src_user_id, user_email and src_user_email as
// actors, dest_user as a target; src, src_ip and client_ip as sources
// when they are IP addresses; host as a device_id location. Each is
// read bare and as a field of any data model object
// ("Authentication.user"), as a tstats search over a CIM data model
// returns it unless drop_dm_object_name renamed it. "unknown" and "-",
// which the CIM and many add-ons write for no value, read as absent.
// _raw is not read: it is the event's text, not a field.
type splunkDecoder struct{}

var splunkSeverities = map[string]Severity{
	"critical": SeverityCritical, "high": SeverityHigh,
	"medium": SeverityMedium, "low": SeverityLow,
	"informational": SeverityInfo, "info": SeverityInfo,
	"unknown": SeverityInfo,
	// syslog level names
	"emerg": SeverityCritical, "emergency": SeverityCritical,
	"alert": SeverityCritical, "crit": SeverityCritical,
	"err": SeverityHigh, "error": SeverityHigh,
	"warning": SeverityMedium, "warn": SeverityMedium,
	"notice": SeverityLow, "debug": SeverityInfo,
	// Splunk's alert severity scale
	"1": SeverityInfo, "2": SeverityInfo, "3": SeverityLow,
	"4": SeverityMedium, "5": SeverityHigh, "6": SeverityCritical,
}

// splunkSchedulerTime finds the time a scheduled search ran in its sid.
var splunkSchedulerTime = regexp.MustCompile(`_at_([0-9]{9,11})_`)

// Format returns FormatSplunk.
func (splunkDecoder) Format() Format { return FormatSplunk }

// Detect accepts a document with a sid and a results_link, both
// strings, and a result object.
func (splunkDecoder) Detect(doc map[string]any) bool {
	return str(doc, "sid") != "" && str(doc, "results_link") != "" &&
		obj(doc, "result") != nil
}

// markers are the fields Detect keys on, for nearMiss.
func (splunkDecoder) markers(doc map[string]any) (map[string]any, []marker) {
	return doc, []marker{stringMarker("sid"), stringMarker("results_link"),
		objectMarker("result")}
}

// Decode normalises a Splunk webhook alert.
func (splunkDecoder) Decode(doc map[string]any) (Signal, error) {
	result := obj(doc, "result")
	t, err := splunkTime(doc, result)
	if err != nil {
		return Signal{}, err
	}
	sev, err := splunkSeverity(result)
	if err != nil {
		return Signal{}, err
	}
	subjects, err := splunkSubjects(result)
	if err != nil {
		return Signal{}, err
	}
	name := str(doc, "search_name")
	return Signal{
		Format:     FormatSplunk,
		Category:   CategoryThreat,
		Type:       name,
		Severity:   sev,
		Time:       t,
		DedupKey:   "splunk:" + str(doc, "sid") + ":" + digest(result),
		Subjects:   subjects,
		Summary:    name,
		Attributes: splunkAttributes(doc, result),
	}, nil
}

// splunkValues returns the non-blank values of a result field: one for a
// string, each of a list of strings, none when absent or null.
func splunkValues(result map[string]any, field string) ([]string, error) {
	var out []string
	switch v := result[field].(type) {
	case nil:
	case string:
		out = appendNonBlank(out, v)
	case []any:
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, splunkNotString(field, v)
			}
			out = appendNonBlank(out, s)
		}
	default:
		return nil, splunkNotString(field, v)
	}
	return out, nil
}

func appendNonBlank(out []string, s string) []string {
	if strings.TrimSpace(s) == "" {
		return out
	}
	return append(out, s)
}

func splunkNotString(field string, v any) error {
	return fieldErr(FormatSplunk, "result."+field,
		"not a string or a list of strings", v)
}

// splunkValue returns the first value of a field, or "".
func splunkValue(result map[string]any, field string) (string, error) {
	vs, err := splunkValues(result, field)
	if err != nil || len(vs) == 0 {
		return "", err
	}
	return vs[0], nil
}

func splunkTime(doc, result map[string]any) (time.Time, error) {
	v, err := splunkValue(result, "_time")
	if err != nil {
		return time.Time{}, err
	}
	if v != "" {
		return splunkParseTime(v)
	}
	if m := splunkSchedulerTime.FindStringSubmatch(str(doc, "sid")); m != nil {
		return epochTime(json.Number(m[1]))
	}
	return time.Time{}, fieldErr(FormatSplunk, "result._time",
		"missing, and the sid carries no time", nil)
}

// splunkEpoch is epoch seconds as Splunk writes _time, with up to nine
// digits of fraction.
var splunkEpoch = regexp.MustCompile(`^([0-9]{1,11})(?:\.([0-9]{1,9}))?$`)

// splunkParseTime reads _time: epoch seconds, converted exactly, or an
// RFC 3339 time.
func splunkParseTime(v string) (time.Time, error) {
	if t, ok := parseRFC3339(v); ok {
		return t, nil
	}
	m := splunkEpoch.FindStringSubmatch(strings.TrimSpace(v))
	if m == nil {
		return time.Time{}, fieldErr(FormatSplunk, "result._time",
			"not epoch seconds or an RFC 3339 time", v)
	}
	sec, _ := strconv.ParseInt(m[1], 10, 64)
	nsec, _ := strconv.ParseInt((m[2] + "000000000")[:9], 10, 64)
	return time.Unix(sec, nsec).UTC(), nil
}

func splunkSeverity(result map[string]any) (Severity, error) {
	for _, field := range []string{"severity", "urgency"} {
		v, err := splunkValue(result, field)
		if err != nil {
			return "", err
		}
		if v == "" {
			continue
		}
		s, ok := splunkSeverities[strings.ToLower(strings.TrimSpace(v))]
		if !ok {
			return "", fieldErr(FormatSplunk, "result."+field,
				"not a severity", v)
		}
		return s, nil
	}
	return SeverityInfo, nil
}

// splunkUserFields are the result fields that name a user, in the order
// subjects are added, with the role they have when src_user is absent.
var splunkUserFields = []struct {
	field string
	typ   SubjectType
	role  Role
}{
	{"src_user", SubjectUsername, RoleActor},
	{"user", SubjectUsername, RoleActor},
	{"user_name", SubjectUsername, RoleActor},
	{"user_id", SubjectUserID, RoleActor},
	{"src_user_id", SubjectUserID, RoleActor},
	{"user_email", SubjectEmail, RoleActor},
	{"src_user_email", SubjectEmail, RoleActor},
	{"dest_user", SubjectUsername, RoleTarget},
}

func splunkSubjects(result map[string]any) ([]Subject, error) {
	var l subjectList
	escalation, err := splunkSubjectValues(result, "src_user")
	if err != nil {
		return nil, err
	}
	for _, f := range splunkUserFields {
		role := f.role
		if f.field == "user" && slices.ContainsFunc(escalation, splunkNamed) {
			role = RoleTarget
		}
		if err := splunkAdd(&l, result, f.field, f.typ, role); err != nil {
			return nil, err
		}
	}
	for _, field := range []string{"src", "src_ip", "client_ip"} {
		vs, err := splunkSubjectValues(result, field)
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			l.addIP(v, RoleSource)
		}
	}
	err = splunkAdd(&l, result, "host", SubjectDeviceID, RoleLocation)
	return l.list(), err
}

// splunkSubjectValues returns the values of a field that names someone
// or somewhere: bare, then as the field of each data model object that
// has it, in the order of their names.
func splunkSubjectValues(result map[string]any, field string) ([]string, error) {
	out, err := splunkValues(result, field)
	if err != nil {
		return nil, err
	}
	for _, k := range slices.Sorted(maps.Keys(result)) {
		if !strings.HasSuffix(k, "."+field) {
			continue
		}
		vs, err := splunkValues(result, k)
		if err != nil {
			return nil, err
		}
		out = append(out, vs...)
	}
	return out, nil
}

// splunkAdd adds every value of a field; a name is read as an e-mail
// when it is one.
func splunkAdd(l *subjectList, result map[string]any, field string,
	typ SubjectType, r Role) error {
	vs, err := splunkSubjectValues(result, field)
	for _, v := range vs {
		switch {
		case !splunkNamed(v):
		case typ == SubjectUsername || typ == SubjectEmail:
			l.addLogin(v, r)
		default:
			l.add(typ, v, r)
		}
	}
	return err
}

// splunkNamed reports whether a value names something: not blank, and
// not "unknown" or "-".
func splunkNamed(v string) bool {
	v = strings.TrimSpace(v)
	return v != "" && v != "-" && !strings.EqualFold(v, "unknown")
}

func splunkAttributes(doc, result map[string]any) map[string]any {
	a := attrs{}
	a.text("search_name", str(doc, "search_name"))
	a.text("sid", str(doc, "sid"))
	a.text("app", str(doc, "app"))
	a.text("owner", str(doc, "owner"))
	a.text("results_link", str(doc, "results_link"))
	for _, field := range []string{"sourcetype", "source", "index"} {
		if v, _ := splunkValue(result, field); v != "" {
			a.text(field, v)
		}
	}
	return a
}
