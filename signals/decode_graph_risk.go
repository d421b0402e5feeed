package signals

import (
	"encoding/json"
	"fmt"
	"strings"
)

// graphRiskDecoder decodes Microsoft Entra ID Protection risk as
// Microsoft Graph returns it: a riskDetection (GET or list of
// /identityProtection/riskDetections, or of servicePrincipalRiskDetections
// for a workload identity), a riskyUser (of /identityProtection/riskyUsers)
// or a riskyServicePrincipal (of riskyServicePrincipals).
//
// A list response, and some GET responses, wrap the objects in
// {"value": [...]}. One payload is one signal: a wrapper holding one
// object is read as that object; one holding several is a FieldError on
// value saying how many, so that the sender splits the list. Taking the
// first would drop the others without a word.
//
// Category: riskState atRisk or confirmedCompromised is threat; any
// other state (none, confirmedSafe, remediated, dismissed) is other: the
// risk is over, and shipped policies do nothing on it. Such a risk has
// the resolved attribute true, so that no policy takes it by its type
// for the scenario it names.
//
// Severity follows riskLevel: high, medium and low as they are, none is
// info; hidden (the tenant's licence does not show the level) and any
// other value read as medium. A confirmedCompromised risk is at least
// high.
//
// A riskDetection's time is activityDateTime, else detectedDateTime;
// its dedup key is ms_graph_risk:<id>:<lastUpdatedDateTime> (else the
// detection time), since each update (remediated, dismissed) is a new
// alert. A riskyUser's time is riskLastUpdatedDateTime and its dedup key
// ms_graph_risk:user:<id>:<riskLastUpdatedDateTime>; a
// riskyServicePrincipal's likewise, with servicePrincipal for user.
//
// Subjects: the user, by userPrincipalName (an e-mail address or a
// username) and userId (a riskyUser's id), or the service principal, by
// servicePrincipalId (a riskyServicePrincipal's id) as a user_id and
// appId as a client_id, as the target; ipAddress as the source.
// ipAddress is kept verbatim in the ip_address attribute and named as a
// subject only when it is an IP address (Microsoft's own example has
// "123.456.7.89").
//
// additionalInfo is a JSON array of {"Key", "Value"} pairs inside a
// string; userAgent and riskReasons are read from it. A string that is
// not such an array is a FieldError.
type graphRiskDecoder struct{}

// graphRiskLevels are the riskLevel values read as themselves.
var graphRiskLevels = map[string]Severity{
	"high": SeverityHigh, "medium": SeverityMedium, "low": SeverityLow,
	"none": SeverityInfo,
}

// graphActiveRisk are the riskState values of a risk still in force.
var graphActiveRisk = map[string]bool{
	"atrisk": true, "confirmedcompromised": true,
}

// Format returns FormatMSGraphRisk.
func (graphRiskDecoder) Format() Format { return FormatMSGraphRisk }

// Detect accepts a riskDetection (riskEventType, riskLevel and
// riskState), a riskyUser (riskLevel, riskState, userPrincipalName and
// riskLastUpdatedDateTime, no riskEventType) or a riskyServicePrincipal
// (the same with appId for userPrincipalName), alone or as the first
// object of a value array.
func (graphRiskDecoder) Detect(doc map[string]any) bool {
	o, _ := graphRiskObject(doc)
	return graphRiskKind(o) != ""
}

// markers are the fields Detect keys on, for nearMiss.
func (graphRiskDecoder) markers(doc map[string]any) (map[string]any, []marker) {
	o, _ := graphRiskObject(doc)
	return o, []marker{stringMarker("riskEventType"),
		stringMarker("riskLevel"), stringMarker("riskState")}
}

// graphRiskObject returns the object a payload is about: the first
// element of a value array, or the payload itself, with the path prefix
// of the object in the payload.
func graphRiskObject(doc map[string]any) (map[string]any, string) {
	if _, own := doc["riskLevel"]; own {
		return doc, ""
	}
	if values := list(doc, "value"); len(values) > 0 {
		if first, ok := values[0].(map[string]any); ok {
			return first, "value[0]."
		}
	}
	return doc, ""
}

// graphRiskKind is "riskDetection", "riskyUser", "riskyServicePrincipal"
// or "".
func graphRiskKind(o map[string]any) string {
	if str(o, "riskLevel") == "" || str(o, "riskState") == "" {
		return ""
	}
	_, updated := lookup(o, "riskLastUpdatedDateTime")
	switch {
	case str(o, "riskEventType") != "":
		return "riskDetection"
	case updated && str(o, "userPrincipalName") != "":
		return "riskyUser"
	case updated && str(o, "appId") != "":
		return "riskyServicePrincipal"
	}
	return ""
}

// Decode normalises a risk detection or a risky user.
func (graphRiskDecoder) Decode(doc map[string]any) (Signal, error) {
	if n := len(list(doc, "value")); n > 1 {
		return Signal{}, fieldErr(FormatMSGraphRisk, "value", fmt.Sprintf(
			"holds %d risk objects; send each as its own message", n), nil)
	}
	o, prefix := graphRiskObject(doc)
	kind := graphRiskKind(o)
	var s Signal
	var err error
	if kind == "riskDetection" {
		s, err = decodeRiskDetection(o)
	} else {
		s, err = decodeRiskyPrincipal(o, kind)
	}
	return s, nested(prefix, err)
}

func decodeRiskDetection(o map[string]any) (Signal, error) {
	f := FormatMSGraphRisk
	id, err := requireText(f, o, "id")
	if err != nil {
		return Signal{}, err
	}
	t, used, err := firstTime(f, o, "activityDateTime", "detectedDateTime")
	if err != nil {
		return Signal{}, err
	}
	info, err := graphAdditionalInfo(o)
	if err != nil {
		return Signal{}, err
	}
	version := firstText(o, "lastUpdatedDateTime", used)
	kind := str(o, "riskEventType")
	return Signal{
		Format:   f,
		Category: graphRiskCategory(o),
		Type:     kind,
		Severity: graphRiskSeverity(o),
		Time:     t,
		DedupKey: fmt.Sprintf("%s:%s:%s", f, id, version),
		Subjects: graphRiskSubjects(o,
			firstText(o, "userId", "servicePrincipalId")),
		Summary:    fmt.Sprintf("%s risk (%s)", kind, str(o, "riskState")),
		Attributes: graphDetectionAttributes(o, info),
	}, nil
}

// graphRiskyNames are how the dedup key and the summary name the
// principal of a riskyUser or a riskyServicePrincipal.
var graphRiskyNames = map[string][2]string{
	"riskyUser":             {"user", "risky user"},
	"riskyServicePrincipal": {"servicePrincipal", "risky service principal"},
}

func decodeRiskyPrincipal(o map[string]any, kind string) (Signal, error) {
	f := FormatMSGraphRisk
	id, err := requireText(f, o, "id")
	if err != nil {
		return Signal{}, err
	}
	t, err := rfc3339At(f, o, "riskLastUpdatedDateTime")
	if err != nil {
		return Signal{}, err
	}
	a := graphRiskAttributes(o)
	a.flag("deleted", o, "isDeleted")
	return Signal{
		Format:   f,
		Category: graphRiskCategory(o),
		Type:     kind,
		Severity: graphRiskSeverity(o),
		Time:     t,
		DedupKey: fmt.Sprintf("%s:%s:%s:%s", f, graphRiskyNames[kind][0], id,
			str(o, "riskLastUpdatedDateTime")),
		Subjects: graphRiskSubjects(o, firstText(o, "userId", "id")),
		Summary: fmt.Sprintf("%s (%s)", graphRiskyNames[kind][1],
			str(o, "riskState")),
		Attributes: a,
	}, nil
}

func graphRiskCategory(o map[string]any) Category {
	if graphActiveRisk[strings.ToLower(str(o, "riskState"))] {
		return CategoryThreat
	}
	return CategoryOther
}

func graphRiskSeverity(o map[string]any) Severity {
	s, ok := graphRiskLevels[strings.ToLower(str(o, "riskLevel"))]
	if !ok {
		s = SeverityMedium
	}
	confirmed := strings.EqualFold(str(o, "riskState"), "confirmedCompromised")
	if confirmed && s.Rank() < SeverityHigh.Rank() {
		s = SeverityHigh
	}
	return s
}

// graphRiskSubjects names the user or service principal at risk, by
// its object id and its sign-in name or application id, and where the
// risky activity came from.
func graphRiskSubjects(o map[string]any, objectID string) []Subject {
	var l subjectList
	l.addLogin(str(o, "userPrincipalName"), RoleTarget)
	l.add(SubjectUserID, objectID, RoleTarget)
	l.add(SubjectClientID, str(o, "appId"), RoleTarget)
	l.addIP(str(o, "ipAddress"), RoleSource)
	return l.list()
}

// graphRiskAttributes are the facts a riskDetection and a riskyUser
// share.
func graphRiskAttributes(o map[string]any) attrs {
	a := attrs{}
	a.text("risk_level", str(o, "riskLevel"))
	a.text("risk_state", str(o, "riskState"))
	a.text("risk_detail", str(o, "riskDetail"))
	if graphRiskCategory(o) == CategoryOther {
		a["resolved"] = true
	}
	return a
}

func graphDetectionAttributes(o map[string]any, info map[string]any) attrs {
	a := graphRiskAttributes(o)
	a.text("risk_event_type", str(o, "riskEventType"))
	a.text("activity", str(o, "activity"))
	a.text("detection_timing", str(o, "detectionTimingType"))
	a.text("ip_address", str(o, "ipAddress"))
	a.text("country", str(o, "location.countryOrRegion"))
	a.text("user_agent", str(info, "userAgent"))
	a.text("risk_reasons", graphReasons(info["riskReasons"]))
	return a
}

// graphReasons joins riskReasons, a list of names or one name, with
// commas.
func graphReasons(v any) string {
	if names, ok := v.([]any); ok {
		return joinStrings(names)
	}
	return joinStrings([]any{v})
}

// graphAdditionalInfo reads additionalInfo, a JSON array of Key/Value
// pairs written inside a string, into a map from key to value. Absent,
// null or blank, it is empty.
func graphAdditionalInfo(o map[string]any) (map[string]any, error) {
	v, _ := lookup(o, "additionalInfo")
	if v == nil {
		return nil, nil
	}
	raw, ok := v.(string)
	if !ok {
		return nil, fieldErr(FormatMSGraphRisk, "additionalInfo",
			"not a string", v)
	}
	if strings.TrimSpace(raw) == "" {
		return nil, nil
	}
	var pairs []struct {
		Key   *string `json:"Key"`
		Value any     `json:"Value"`
	}
	err := json.Unmarshal([]byte(raw), &pairs)
	info := map[string]any{}
	for _, p := range pairs {
		if p.Key == nil {
			err = fmt.Errorf("a pair without a Key")
			break
		}
		info[*p.Key] = p.Value
	}
	if err != nil {
		return nil, fieldErr(FormatMSGraphRisk, "additionalInfo",
			"not a JSON array of Key/Value pairs", raw)
	}
	return info, nil
}
