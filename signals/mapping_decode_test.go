package signals_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/signals"
)

// ruleMapping reads a SOAR's alert, with every kind of field.
const ruleMapping = `mappings:
  - name: soar
    match:
      kind: {equals: soar_alert}
      version: {one_of: [2, 3]}
      labels["app.kind"]: {exists: true}
      draft: {exists: false}
    time: {path: 'events[0].at', layout: unix_seconds}
    severity:
      path: sev
      map: {P1: critical, P2: high, 3: low}
    category: {path: cat, map: {login: authentication}, default: threat}
    type: "{{kind}}/{{labels[\"app.kind\"]}}"
    summary: "{{title}}"
    dedup_key: "{{id}}:{{events[0].at}}"
    subjects:
      - {path: 'events[*].user', type: login, role: actor}
      - {path: 'events[*].ips', type: ip, role: source}
    attributes:
      - {path: closed, name: resolved}
      - {path: score, name: score}
      - {path: api_key, name: api_key, secret: true}
`

const ruleAlert = `{"kind": "soar_alert", "version": 3.0,
	"labels": {"app.kind": "vpn"}, "id": 42, "sev": "p1", "cat": "login",
	"title": "VPN login", "closed": false, "score": 0.75,
	"api_key": "sk_live_SECRETVALUE",
	"events": [{"at": "1796030100.5", "user": "carol@example.com",
	            "ips": ["198.51.100.9", "not an address"]},
	           {"at": 1796030101, "user": "svc-backup", "ips": []}]}`

func parseRule(t *testing.T) *signals.Mappings {
	t.Helper()
	m, err := signals.ParseMappings("m.yaml", []byte(ruleMapping))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestAMappingReadsEveryKindOfField(t *testing.T) {
	s, err := parseRule(t).Decode([]byte(ruleAlert))
	if err != nil {
		t.Fatal(err)
	}
	want := signals.Signal{
		Format: "generic:soar", Category: signals.CategoryAuthentication,
		Type: "soar_alert/vpn", Severity: signals.SeverityCritical,
		Time:     time.Date(2026, 11, 30, 9, 15, 0, 500e6, time.UTC),
		DedupKey: "generic:soar:42:1796030100.5",
		Subjects: []signals.Subject{
			sub(email, "carol@example.com", actor),
			sub(username, "svc-backup", actor),
			sub(ip, "198.51.100.9", source),
		},
		Summary: "VPN login",
		Attributes: map[string]any{"resolved": false,
			"score": json.Number("0.75"),
			// printf %s sk_live_SECRETVALUE | sha256sum
			"api_key": "sha256:" +
				"71f6cd24a7349fc4dc4adecaca91ec111ac86c55d00cc062485cee61db6a0ad1"},
	}
	if got, w := mustJSON(t, s), mustJSON(t, want); string(got) != string(w) {
		t.Errorf("got\n%s\nwant\n%s", got, w)
	}
}

func TestAMatchTestsValuesOfTheirOwnType(t *testing.T) {
	m := parseRule(t)
	for _, tc := range []struct{ name, from, to string }{
		{"a string is not a number", `"version": 3.0`, `"version": "3"`},
		{"a value not listed", `"version": 3.0`, `"version": 4`},
		{"a field that must be absent", `"id": 42`, `"id": 42, "draft": true`},
		{"a field that must be present", `{"app.kind": "vpn"}`, `{"app": {"kind": "vpn"}}`},
		{"another value", `"soar_alert"`, `"Soar_Alert"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := strings.Replace(ruleAlert, tc.from, tc.to, 1)
			if p == ruleAlert {
				t.Fatal("the case changes nothing")
			}
			_, err := m.Decode([]byte(p))
			if !errors.Is(err, signals.ErrUnknownFormat) {
				t.Errorf("err = %v, want no mapping to match", err)
			}
		})
	}
	p := strings.Replace(ruleAlert, `"id": 42`, `"id": 42, "draft": null`, 1)
	if _, err := m.Decode([]byte(p)); err != nil {
		t.Errorf("a null field is absent: %v", err)
	}
}

// A payload a mapping matches but whose fields are wrong is a FieldError
// naming the field where it is in the payload, as a built-in decoder's;
// it is dead-lettered with that reason. A secret never shows.
func TestAMatchedPayloadWithABadFieldIsAFieldError(t *testing.T) {
	m := parseRule(t)
	for _, tc := range []struct{ name, from, to, want string }{
		{"a missing time", `"at": "1796030100.5"`, `"when": 1`,
			`signal generic:soar: events[0].at: missing`},
		{"a time that is no number", `"1796030100.5"`, `"yesterday"`,
			`signal generic:soar: events[0].at: not a non-negative number (unix_seconds) ("yesterday")`},
		{"a negative time", `"1796030100.5"`, `-5`,
			`events[0].at: not a non-negative number`},
		{"a severity word not in the map", `"p1"`, `"P4"`,
			`signal generic:soar: sev: not in the severity map (no default) ("P4")`},
		{"a severity that is missing", `"sev": "p1",`, ``,
			`signal generic:soar: sev: missing (no severity default)`},
		{"a severity that is an object", `"p1"`, `{"v": 1}`,
			`signal generic:soar: sev: not a string or number`},
		{"a dedup field that is missing", `"id": 42,`, ``,
			`signal generic:soar: id: missing`},
		{"a template field that is an object", `"title": "VPN login"`, `"title": {}`,
			`signal generic:soar: title: not a string, number or boolean`},
		{"a subject that is an object", `"user": "carol@example.com"`, `"user": {"a": 1}`,
			`signal generic:soar: events[0].user: not a string or number (subject login)`},
		{"a subject element that is an object", `"ips": []`, `"ips": [{}]`,
			`signal generic:soar: events[1].ips[0]: not a string or number (subject ip)`},
		{"an attribute that is an array", `"score": 0.75`, `"score": [1]`,
			`signal generic:soar: score: not a string, number or boolean (attribute score)`},
		{"resolved that is not a boolean", `"closed": false`, `"closed": "no"`,
			`signal generic:soar: closed: not a boolean (attribute resolved) ("no")`},
		{"a secret that is an object", `"sk_live_SECRETVALUE"`, `{"k": "sk_live_SECRETVALUE"}`,
			`signal generic:soar: api_key: not a string or number (secret attribute api_key)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := strings.Replace(ruleAlert, tc.from, tc.to, 1)
			if p == ruleAlert {
				t.Fatal("the case changes nothing")
			}
			_, err := m.Decode([]byte(p))
			var fe *signals.FieldError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant a FieldError containing %s", err, tc.want)
			}
			if fe.Format != "generic:soar" {
				t.Errorf("format %q", fe.Format)
			}
			if strings.Contains(err.Error(), "SECRETVALUE") {
				t.Error("the secret reached the error")
			}
		})
	}
}

func TestUnixMillisAndDefaults(t *testing.T) {
	m, err := signals.ParseMappings("m.yaml", []byte(`mappings:
  - name: pager
    match: {source: {equals: pager}}
    time: {path: ts, layout: unix_millis}
    severity: {path: level, map: {"1": low}, default: medium}
    category: other
    subjects: [{path: user, type: login, role: actor}]
`))
	if err != nil {
		t.Fatal(err)
	}
	for payload, sev := range map[string]signals.Severity{
		`{"source": "pager", "ts": 1796030100250, "level": 1}`:    signals.SeverityLow,
		`{"source": "pager", "ts": 1796030100250, "level": 9}`:    signals.SeverityMedium,
		`{"source": "pager", "ts": "1796030100250"}`:              signals.SeverityMedium,
		`{"source": "pager", "ts": 1796030100250, "level": " 1"}`: signals.SeverityLow,
	} {
		s, err := m.Decode([]byte(payload))
		if err != nil || s.Severity != sev ||
			!s.Time.Equal(time.Date(2026, 11, 30, 9, 15, 0, 250e6, time.UTC)) {
			t.Errorf("%s: %v %v %v", payload, s.Severity, s.Time, err)
		}
		if !strings.HasPrefix(s.DedupKey, "generic:pager:sha256:") {
			t.Errorf("dedup key %q", s.DedupKey)
		}
	}
}

// listMapping names subjects through [*], as SIEM exports' lists.
const listMapping = `mappings:
  - name: siem
    match: {vendor: {equals: siem}}
    time: {path: at, layout: unix_seconds}
    severity: high
    category: threat
    subjects:
      - {path: 'users[*]', type: login, role: actor}
      - {path: 'hosts[*].ip', type: ip, role: source}
`

// A scalar where [*] expects an array is that array of one element, as
// SIEM exports write a list of one flat; any other value of the wrong
// shape is a FieldError naming where it is, not an alert about no one.
func TestASubjectPathMeetingAValueOfAnotherShape(t *testing.T) {
	m, err := signals.ParseMappings("m.yaml", []byte(listMapping))
	if err != nil {
		t.Fatal(err)
	}
	carol := sub(email, "carol@example.com", actor)
	dave := sub(username, "dave", actor)
	addr := sub(ip, "198.51.100.9", source)
	for _, tc := range []struct {
		name, fields string
		want         []signals.Subject
		err          string
	}{
		{"an array names each element",
			`"users": ["carol@example.com", "dave"]`,
			[]signals.Subject{carol, dave}, ""},
		{"a string written flat names one",
			`"users": "carol@example.com"`, []signals.Subject{carol}, ""},
		{"a number written flat names one",
			`"users": 1234`, []signals.Subject{sub(username, "1234", actor)}, ""},
		{"an object where a list of objects belongs is an error",
			`"hosts": {"ip": "198.51.100.9"}`, nil,
			`signal generic:siem: hosts: an object where the path needs an ` +
				`array (subject path "hosts[*].ip")`},
		{"an object where the list belongs is an error",
			`"users": {"name": "carol"}`, nil,
			`signal generic:siem: users: an object where the path needs an ` +
				`array (subject path "users[*]")`},
		{"a string where the path reads a member is an error",
			`"hosts": ["198.51.100.9"]`, nil,
			`signal generic:siem: hosts[0]: a string where the path needs ` +
				`an object (subject path "hosts[*].ip")`},
		{"null and a missing field name no one",
			`"users": null`, []signals.Subject{}, ""},
		{"an array of objects names each member",
			`"hosts": [{"ip": "198.51.100.9"}, {"name": "db"}]`,
			[]signals.Subject{addr}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := `{"vendor": "siem", "at": 1796030100, ` + tc.fields + `}`
			s, err := m.Decode([]byte(p))
			var fe *signals.FieldError
			switch {
			case tc.err != "" && (!errors.As(err, &fe) || err.Error() != tc.err):
				t.Fatalf("err = %v\nwant the FieldError %s", err, tc.err)
			case tc.err == "" && err != nil:
				t.Fatal(err)
			}
			if got, w := mustJSON(t, s.Subjects), mustJSON(t, tc.want); tc.err == "" &&
				string(got) != string(w) {
				t.Errorf("subjects %s, want %s", got, w)
			}
		})
	}
}
