package signals_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/killswitch-dev/killswitch/signals"
)

// soarMapping is a valid mapping file; the cases below change one line.
// Its line numbers are those of the file (line 1 is "mappings:").
const soarMapping = `mappings:
  - name: soar
    match:
      kind: {equals: soar_alert}
    time: {path: at, layout: rfc3339}
    severity: high
    category: threat
    subjects:
      - {path: user, type: email, role: target}
    attributes:
      - {path: rule, name: rule}
`

func withLine(n int, line string) string {
	lines := strings.Split(soarMapping, "\n")
	lines[n-1] = line
	return strings.Join(lines, "\n")
}

func TestTheSoarMappingLoads(t *testing.T) {
	if _, err := signals.ParseMappings("m.yaml", []byte(soarMapping)); err != nil {
		t.Fatal(err)
	}
}

func TestMappingFileFaultsNameTheFileLineAndMapping(t *testing.T) {
	for _, tc := range []struct {
		name, file, want string
	}{{
		"no subjects: every alert would name no one",
		strings.Replace(soarMapping, "    subjects:\n      - {path: user, type: email, role: target}\n", "", 1),
		`m.yaml:2: mapping "soar": subjects: missing: an alert this mapping decodes would name no one`,
	}, {
		"an empty list of subjects",
		strings.Replace(soarMapping, "    subjects:\n      - {path: user, "+
			"type: email, role: target}\n", "    subjects: []\n", 1),
		`m.yaml:8: mapping "soar": subjects: empty: an alert this mapping decodes would name no one`,
	}, {
		"an unknown subject type",
		withLine(9, "      - {path: user, type: mail, role: target}"),
		`m.yaml:9: mapping "soar": subjects[0].type: unknown subject type "mail" (known: access_key_id, arn, `,
	}, {
		"an unknown role",
		withLine(9, "      - {path: user, type: email, role: victim}"),
		`m.yaml:9: mapping "soar": subjects[0].role: unknown role "victim"`,
	}, {
		"an unknown severity word",
		withLine(6, "    severity: severe"),
		`m.yaml:6: mapping "soar": severity: unknown severity "severe" (known: info, low, medium, high, critical)`,
	}, {
		"an unknown severity word in the map",
		withLine(6, "    severity: {path: sev, map: {S1: critical, S2: urgent}}"),
		`m.yaml:6: mapping "soar": severity.map.S2: unknown severity "urgent"`,
	}, {
		"an unknown severity default",
		withLine(6, "    severity: {path: sev, map: {S1: critical}, default: normal}"),
		`m.yaml:6: mapping "soar": severity.default: unknown severity "normal"`,
	}, {
		"one source word twice",
		withLine(6, "    severity: {path: sev, map: {high: high, ' HIGH': critical}}"),
		`m.yaml:6: mapping "soar": severity.map: " HIGH" is given twice (line 6)`,
	}, {
		"an unknown category",
		withLine(7, "    category: malware"),
		`m.yaml:7: mapping "soar": category: unknown category "malware" (known: account_change, `,
	}, {
		"a path with an empty name",
		withLine(4, "      kind..name: {equals: soar_alert}"),
		`m.yaml:4: mapping "soar": match.kind..name: path "kind..name": empty name at byte 5`,
	}, {
		"a path with an unclosed bracket",
		withLine(5, "    time: {path: 'events[0', layout: rfc3339}"),
		`m.yaml:5: mapping "soar": time.path: path "events[0": [ at byte 6 is not closed`,
	}, {
		"a path with a bad index",
		withLine(11, "      - {path: 'rules[-1].id', name: rule}"),
		`m.yaml:11: mapping "soar": attributes[0].path: path "rules[-1].id": [-1] at byte 5: not an index`,
	}, {
		"a path starting with an index",
		withLine(9, "      - {path: '[0].user', type: email, role: target}"),
		`m.yaml:9: mapping "soar": subjects[0].path: path "[0].user": starts with an index`,
	}, {
		"a path with a stray bracket",
		withLine(9, "      - {path: 'user]', type: email, role: target}"),
		`m.yaml:9: mapping "soar": subjects[0].path: path "user]": unexpected ] at byte 4`,
	}, {
		"a path ending in a dot",
		withLine(9, "      - {path: 'user.', type: email, role: target}"),
		`path "user.": empty name at byte 5`,
	}, {
		"a wildcard where one value is read",
		withLine(11, "      - {path: 'rules[*].id', name: rule}"),
		`m.yaml:11: mapping "soar": attributes[0].path: path "rules[*].id": [*] names many values`,
	}, {
		"an empty match",
		withLine(4, "      {}"),
		`m.yaml:4: mapping "soar": match: empty: it would take every payload no built-in decoder takes`,
	}, {
		"a match of absent fields only",
		withLine(4, "      kind: {exists: false}"),
		`m.yaml:4: mapping "soar": match: only absent fields`,
	}, {
		"a condition of two tests",
		withLine(4, "      kind: {equals: a, exists: true}"),
		`m.yaml:4: mapping "soar": match.kind: give exactly one of equals, one_of, exists`,
	}, {
		"a number YAML reads but JSON does not",
		withLine(4, "      kind: {equals: 0x1F}"),
		`m.yaml:4: mapping "soar": match.kind.equals: "0x1F": write a number as JSON does`,
	}, {
		"an unknown field",
		withLine(7, "    categroy: threat"),
		`m.yaml:7: mapping "soar": categroy: unknown field`,
	}, {
		"a missing required field",
		withLine(5, ""),
		`m.yaml:2: mapping "soar": time: missing`,
	}, {
		"an unknown time layout",
		withLine(5, "    time: {path: at, layout: iso8601}"),
		`m.yaml:5: mapping "soar": time.layout: unknown layout "iso8601" ` +
			`(known: rfc3339, unix_seconds, unix_millis)`,
	}, {
		"a bad name",
		withLine(2, "  - name: Chronicle SecOps"),
		`m.yaml:2: mapping "mappings[0]": name: "Chronicle SecOps": use 1 to 63 lower-case letters`,
	}, {
		"an unquoted template",
		withLine(7, "    category: threat\n    dedup_key: {{id}}"),
		`m.yaml:8: mapping "soar": dedup_key: not a string (a template must be quoted: "{{id}}")`,
	}, {
		"an unclosed template",
		withLine(7, "    category: threat\n    summary: '{{title'"),
		`m.yaml:8: mapping "soar": summary: {{ is not closed by }}`,
	}, {
		"a dedup key naming no field",
		withLine(7, "    category: threat\n    dedup_key: soar"),
		`m.yaml:8: mapping "soar": dedup_key: names no field`,
	}, {
		"a secret read as text",
		withLine(11, "      - {path: token, name: token, secret: true}\n    summary: 'leaked {{token}}'"),
		`m.yaml:12: mapping "soar": summary: reads "token", which is declared secret`,
	}, {
		"a secret read by the severity, whose error would quote it",
		strings.Replace(withLine(11, "      - {path: token, name: token, secret: true}"),
			"    severity: high", "    severity: {path: token, map: {a: high}}", 1),
		`m.yaml:6: mapping "soar": severity: reads "token", which is declared secret`,
	}, {
		"a secret read by the time, whose error would quote it",
		withLine(5, "    time: {path: token, layout: rfc3339}\n"+
			"    dedup_key: '{{id}}'") +
			"      - {path: token, name: token, secret: true}\n",
		`m.yaml:5: mapping "soar": time: reads "token", which is declared secret`,
	}, {
		"a secret read as text under its quoted name",
		withLine(11, "      - {path: token, name: token, secret: true}\n    summary: '{{[\"token\"]}}'"),
		`m.yaml:12: mapping "soar": summary: reads "[\"token\"]", which is declared secret (as "token")`,
	}, {
		"one of many secrets read by its index",
		withLine(9, "      - {path: \"keys[*]\", type: secret_hash, "+
			"role: credential, secret: true}\n"+
			"      - {path: \"keys[1]\", type: username, role: target}"),
		`m.yaml:9: mapping "soar": subjects: reads "keys[1]", which is declared secret (as "keys[*]")`,
	}, {
		"an array holding a secret read as a subject, which names each element",
		strings.Replace(withLine(11, "      - {path: \"keys[0]\", name: key, secret: true}"),
			"{path: user, type: email", "{path: keys, type: username", 1),
		`m.yaml:9: mapping "soar": subjects: reads "keys", which is declared secret (as "keys[0]")`,
	}, {
		"a secret subject that is not a fingerprint",
		withLine(9, "      - {path: token, type: username, role: credential, secret: true}"),
		`m.yaml:9: mapping "soar": subjects[0].secret: a secret is named by its fingerprint: give type secret_hash`,
	}, {
		"an attribute the engine sets",
		withLine(11, "      - {path: rule, name: time_claimed}"),
		`m.yaml:11: mapping "soar": attributes[0].name: "time_claimed" is set by the engine`,
	}, {
		"one attribute twice",
		withLine(11, "      - {path: rule, name: rule}\n      - {path: rule2, name: rule}"),
		`m.yaml:12: mapping "soar": attributes[1].name: "rule" is already given at line 11`,
	}, {
		"two mappings of one name",
		soarMapping + strings.TrimPrefix(soarMapping, "mappings:\n"),
		`m.yaml:12: mapping "soar": name: a mapping of this name is already defined at line 2`,
	}, {
		"a match that accepts Okta's payloads",
		withLine(4, "      eventType: {exists: true}\n      uuid: {exists: true}"),
		`m.yaml:4: mapping "soar": match: accepts the reference payload ` +
			`of format okta (reference/okta.json)`,
	}, {
		"a YAML syntax error",
		withLine(6, "    severity: [high"),
		`m.yaml:6: did not find expected ',' or ']'`,
	}, {
		"one path twice in a match",
		withLine(4, "      kind: {equals: a}\n      kind: {equals: b}"),
		`m.yaml:5: mapping "soar": match.kind: given twice`,
	}, {
		"one field twice",
		withLine(7, "    category: threat\n    category: other"),
		`m.yaml:8: mapping "soar": category: given twice`,
	}, {
		"an empty file",
		"",
		`m.yaml:1: empty file: give a list under mappings`,
	}, {
		"no mappings",
		"mappings: []",
		`m.yaml:1: mappings: not a non-empty list of mappings`,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := signals.ParseMappings("m.yaml", []byte(tc.file))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant it to contain %s", err, tc.want)
			}
			var me *signals.MappingError
			if !errors.As(err, &me) || me.File != "m.yaml" || me.Line == 0 {
				t.Errorf("not a *MappingError with file and line: %#v", err)
			}
		})
	}
}

// Every fault of a file is reported at once, in line order, so that a
// pipeline owner fixes them in one pass.
func TestEveryFaultOfAFileIsReported(t *testing.T) {
	file := withLine(9, "      - {path: user, type: mail, role: victim}")
	file = strings.Replace(file, "severity: high", "severity: severe", 1)
	_, err := signals.ParseMappings("m.yaml", []byte(file))
	if err == nil {
		t.Fatal("loaded")
	}
	got := strings.Split(err.Error(), "\n")
	want := []string{"m.yaml:6: ", "m.yaml:9: ", "m.yaml:9: "}
	if len(got) != len(want) {
		t.Fatalf("%d faults:\n%v", len(got), err)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("fault %d: %s", i, got[i])
		}
	}
}

// A JSON file is a mapping file too, with its faults at their lines.
func TestAJSONMappingFileLoads(t *testing.T) {
	file := `{"mappings": [{
  "name": "soar",
  "match": {"kind": {"equals": "soar_alert"}, "n": {"equals": 5}},
  "time": {"path": "at", "layout": "unix_seconds"},
  "severity": {"path": "sev", "map": {"1": "low", "2": "high"}},
  "category": "threat",
  "subjects": [{"path": "user", "type": "login", "role": "actor"}]
}]}`
	m, err := signals.ParseMappings("m.json", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	s, err := m.Decode([]byte(`{"kind": "soar_alert", "n": 5.0, "at": 1796030100, "sev": 2}`))
	if err != nil || s.Severity != signals.SeverityHigh ||
		s.Time.Format("2006-01-02T15:04:05Z") != "2026-11-30T09:15:00Z" {
		t.Errorf("%+v, %v", s, err)
	}
	bad := strings.Replace(file, `"role"`, `"rol"`, 1)
	bad = strings.Replace(bad, `"category": "threat"`, `"category": "nope"`, 1)
	_, err = signals.ParseMappings("m.json", []byte(bad))
	if err == nil || !strings.Contains(err.Error(),
		`m.json:6: mapping "soar": category: unknown category "nope"`) {
		t.Errorf("err = %v", err)
	}
}
