package signals

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// ecsDecoder decodes one Elastic Common Schema document: an event or an
// alert as an Elastic integration, Elastic Security or another ECS
// pipeline writes it. Members may be nested ({"event": {"kind": …}}),
// dotted ({"event.kind": …}) or both; a field given both ways is a
// FieldError, as a member named twice is.
//
// Category: event.kind alert or signal, or an event.category of threat,
// intrusion_detection or malware, is threat; authentication or session
// is authentication; iam is account_change; anything else is other.
//
// Severity: an Elastic Security alert's label (kibana.alert.severity,
// signal.rule.severity: low, medium, high, critical), else a risk score
// from 0 to 100 (event.risk_score, kibana.alert.risk_score) in Elastic's
// bands: below 22 low, below 48 medium, below 74 high, else critical.
// Neither is info. event.severity is not read: ECS leaves its scale to
// each source.
//
// The time is @timestamp. The dedup key is ecs:<event.dataset>:<id>,
// the id being event.id or an alert's kibana.alert.uuid (ecs:<id>
// without a dataset); with neither, ecs:sha256:<digest of the document>.
//
// Subjects come from the ECS user fields: user, source.user, client.user
// and user.effective as actors, user.target and destination.user as
// targets (each by email, id and name, one value or, as Elasticsearch
// allows any field, a list of them); source.ip and client.ip as
// sources; host.name as a device_id location.
//
// event.original is not decoded, even when it holds a payload of a
// format killswitch reads (Elastic's Okta integration keeps the raw
// System Log event there). The document is what the pipeline delivered
// and its ECS fields are the contract; event.original is kept only when
// an integration is told to preserve it, and may be truncated, so
// reading it would make the same event decode to a different signal,
// with another dedup key and other subjects, depending on a pipeline
// setting. Its vendor fields (okta.*, aws.*) are not read either.
type ecsDecoder struct{}

var ecsSeverityLabels = map[string]Severity{
	"low": SeverityLow, "medium": SeverityMedium,
	"high": SeverityHigh, "critical": SeverityCritical,
}

// Format returns FormatECS.
func (ecsDecoder) Format() Format { return FormatECS }

// Detect accepts a document with an ECS version, an @timestamp and event
// fields, nested or dotted, that no other format's decoder accepts: a
// shipper that speaks ECS (Filebeat, Logstash) stamps those fields on
// whatever it ships, a Falco alert or a Sentinel incident, and the
// vendor's own fields say more of it. Wazuh alone defers to ECS (see
// wazuhDecoder.Detect), so that each document has one decoder.
func (ecsDecoder) Detect(doc map[string]any) bool {
	_, stamped := doc["@timestamp"]
	return ecsVersion(doc) != "" && stamped && hasEventFields(doc) &&
		!claimedByVendor(doc)
}

// claimedByVendor reports whether a decoder that does not defer to ECS
// accepts the document.
func claimedByVendor(doc map[string]any) bool {
	for _, d := range wiring {
		switch d.(type) {
		case ecsDecoder, wazuhDecoder:
			continue
		}
		if d.Detect(doc) {
			return true
		}
	}
	return false
}

// markers are the fields Detect keys on, for nearMiss. Dotted members
// are not seen here, only in Detect.
func (ecsDecoder) markers(doc map[string]any) (map[string]any, []marker) {
	return doc, []marker{stringMarker("ecs.version"),
		presentMarker("@timestamp"), objectMarker("event")}
}

// ecsVersion returns ecs.version, nested or dotted, or "".
func ecsVersion(doc map[string]any) string {
	if v := str(doc, "ecs.version"); v != "" {
		return v
	}
	v, _ := doc["ecs.version"].(string)
	return v
}

func hasEventFields(doc map[string]any) bool {
	if obj(doc, "event") != nil {
		return true
	}
	for k := range doc {
		if strings.HasPrefix(k, "event.") {
			return true
		}
	}
	return false
}

// Decode normalises an ECS document.
func (ecsDecoder) Decode(doc map[string]any) (Signal, error) {
	e, err := ecsNest(doc, "")
	if err != nil {
		return Signal{}, err
	}
	t, err := timeAt(FormatECS, e, "@timestamp")
	if err != nil {
		return Signal{}, err
	}
	sev, err := ecsSeverity(e)
	if err != nil {
		return Signal{}, err
	}
	category := ecsCategory(e)
	return Signal{
		Format:     FormatECS,
		Category:   category,
		Type:       firstText(e, "event.action", "event.code", ruleNamePath(e)),
		Severity:   sev,
		Time:       t,
		DedupKey:   ecsDedupKey(e),
		Subjects:   ecsSubjects(e),
		Summary:    str(e, ruleNamePath(e)),
		Attributes: ecsAttributes(e, category),
	}, nil
}

// ecsNest returns a copy of doc with every dotted member name expanded
// into nested objects, at every depth of nested objects (not inside
// arrays), so that the path accessors read both forms. prefix is the
// path of doc, for errors.
func ecsNest(doc map[string]any, prefix string) (map[string]any, error) {
	out := make(map[string]any, len(doc))
	for _, k := range slices.Sorted(maps.Keys(doc)) {
		v := doc[k]
		if m, ok := v.(map[string]any); ok {
			nested, err := ecsNest(m, joinPath(prefix, k))
			if err != nil {
				return nil, err
			}
			v = nested
		}
		if err := ecsPut(out, prefix, strings.Split(k, "."), v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ecsPut sets the value at keys below into, merging objects that two
// spellings of one path both open.
func ecsPut(into map[string]any, prefix string, keys []string, v any) error {
	cur := into
	for _, k := range keys[:len(keys)-1] {
		prefix = joinPath(prefix, k)
		next, ok := cur[k]
		if !ok {
			next = map[string]any{}
			cur[k] = next
		}
		m, ok := next.(map[string]any)
		if !ok {
			return fieldErr(FormatECS, prefix,
				"holds a value and has fields below it", nil)
		}
		cur = m
	}
	last := keys[len(keys)-1]
	path := joinPath(prefix, last)
	old, taken := cur[last]
	if !taken {
		cur[last] = v
		return nil
	}
	oldObj, ok1 := old.(map[string]any)
	newObj, ok2 := v.(map[string]any)
	if !ok1 || !ok2 {
		return fieldErr(FormatECS, path, "given both nested and dotted", nil)
	}
	for _, k := range slices.Sorted(maps.Keys(newObj)) {
		if err := ecsPut(oldObj, path, []string{k}, newObj[k]); err != nil {
			return err
		}
	}
	return nil
}

// ecsTexts returns a keyword field that ECS allows to be one value or a
// list (event.category, event.type) as a list of its strings.
func ecsTexts(e map[string]any, path string) []string {
	v, _ := lookup(e, path)
	if s, ok := v.(string); ok {
		return []string{s}
	}
	return strs(e, path)
}

func ecsCategory(e map[string]any) Category {
	cats := ecsTexts(e, "event.category")
	has := func(names ...string) bool {
		return slices.ContainsFunc(cats, func(c string) bool {
			return slices.Contains(names, c)
		})
	}
	switch kind := str(e, "event.kind"); {
	case kind == "alert" || kind == "signal",
		has("threat", "intrusion_detection", "malware"):
		return CategoryThreat
	case has("authentication", "session"):
		return CategoryAuthentication
	case has("iam"):
		return CategoryAccountChange
	}
	return CategoryOther
}

// ruleNamePath is where the detection rule's name is: an Elastic
// Security alert's kibana.alert.rule.name (signal.rule.name before 8.0),
// else ECS rule.name.
func ruleNamePath(e map[string]any) string {
	for _, p := range []string{"kibana.alert.rule.name", "signal.rule.name"} {
		if str(e, p) != "" {
			return p
		}
	}
	return "rule.name"
}

func ecsSeverity(e map[string]any) (Severity, error) {
	for _, p := range []string{"kibana.alert.severity", "signal.rule.severity"} {
		v, ok := lookup(e, p)
		if !ok || v == nil {
			continue
		}
		s, _ := v.(string)
		sev, ok := ecsSeverityLabels[strings.ToLower(s)]
		if !ok {
			return "", fieldErr(FormatECS, p, "not a severity label", v)
		}
		return sev, nil
	}
	for _, p := range []string{"event.risk_score", "kibana.alert.risk_score"} {
		if v, ok := lookup(e, p); ok && v != nil {
			return ecsRiskSeverity(p, v)
		}
	}
	return SeverityInfo, nil
}

func ecsRiskSeverity(path string, v any) (Severity, error) {
	n, _ := v.(json.Number)
	score, err := strconv.ParseFloat(n.String(), 64)
	if err != nil || score < 0 || score > 100 {
		return "", fieldErr(FormatECS, path, "not a risk score from 0 to 100", v)
	}
	switch {
	case score < 22:
		return SeverityLow, nil
	case score < 48:
		return SeverityMedium, nil
	case score < 74:
		return SeverityHigh, nil
	}
	return SeverityCritical, nil
}

func ecsDedupKey(e map[string]any) string {
	id := firstText(e, "event.id", "kibana.alert.uuid")
	switch ds := str(e, "event.dataset"); {
	case id == "":
		return "ecs:sha256:" + digest(e)
	case ds != "":
		return "ecs:" + ds + ":" + id
	}
	return "ecs:" + id
}

// ecsUserRoles are the ECS user field sets, in the order their subjects
// are added.
var ecsUserRoles = []struct {
	path string
	role Role
}{
	{"user", RoleActor},
	{"source.user", RoleActor},
	{"client.user", RoleActor},
	{"user.effective", RoleActor},
	{"user.target", RoleTarget},
	{"destination.user", RoleTarget},
}

func ecsSubjects(e map[string]any) []Subject {
	var l subjectList
	for _, u := range ecsUserRoles {
		user := obj(e, u.path)
		for _, v := range ecsValues(user, "email") {
			l.add(SubjectEmail, v, u.role)
		}
		for _, v := range ecsValues(user, "id") {
			l.add(SubjectUserID, v, u.role)
		}
		for _, v := range ecsValues(user, "name") {
			l.addLogin(v, u.role)
		}
	}
	l.addIP(str(e, "source.ip"), RoleSource)
	l.addIP(str(e, "client.ip"), RoleSource)
	l.add(SubjectDeviceID, str(e, "host.name"), RoleLocation)
	return l.list()
}

// ecsValues returns a keyword field's values: a string or a number as
// written, or each of a list of them.
func ecsValues(doc map[string]any, key string) []string {
	v, _ := lookup(doc, key)
	values, ok := v.([]any)
	if !ok {
		values = []any{v}
	}
	var out []string
	for _, v := range values {
		switch v := v.(type) {
		case string:
			out = append(out, v)
		case json.Number:
			out = append(out, v.String())
		}
	}
	return out
}

func ecsAttributes(e map[string]any, category Category) map[string]any {
	a := attrs{}
	a.lower("outcome", str(e, "event.outcome"))
	a.text("kind", str(e, "event.kind"))
	a.text("dataset", str(e, "event.dataset"))
	a.text("module", str(e, "event.module"))
	a.text("event_category", strings.Join(ecsTexts(e, "event.category"), ","))
	if category == CategoryThreat {
		a.text("finding_type", str(e, ruleNamePath(e)))
	}
	return a
}
