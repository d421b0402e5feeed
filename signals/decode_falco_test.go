package signals_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/signals"
)

// falcoBase is a Falco alert as falcosidekick forwards it. Its command
// line holds a password, which no signal may keep.
const falcoBase = `{
  "uuid": "5c1f9a1e-2b7d-4c8e-9f0a-1b2c3d4e5f60",
  "hostname": "node-7",
  "output": "09:00:00.123456789: Critical Shell in container ` +
	`(user=root container=payments-api cmd=sh -c mysql -phunter2)",
  "priority": "Critical",
  "rule": "Terminal shell in container",
  "source": "syscall",
  "tags": ["container", "shell", "mitre_execution"],
  "time": "2026-11-30T09:00:00.123456789Z",
  "output_fields": {
    "container.id": "0f1e2d3c4b5a",
    "container.name": "payments-api",
    "container.image.repository": "registry.example.com/payments-api",
    "k8s.ns.name": "payments",
    "k8s.pod.name": "payments-api-7d9f8c6b5-x2x9z",
    "evt.time.iso8601": 1796029200123456789,
    "proc.cmdline": "sh -c mysql -phunter2",
    "proc.name": "sh",
    "proc.aname[2]": null,
    "user.loginuid": -1,
    "user.name": "root",
    "user.uid": 0
  }
}`

// falcoWith returns falcoBase with output_fields changed: a nil value
// deletes the field.
func falcoWith(t *testing.T, top map[string]any, fields map[string]any) string {
	t.Helper()
	var doc map[string]any
	dec := json.NewDecoder(strings.NewReader(falcoBase))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	of := doc["output_fields"].(map[string]any)
	for k, v := range fields {
		if v == nil {
			delete(of, k)
			continue
		}
		of[k] = v
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return withFields(t, string(b), top)
}

func TestFalcoPriorityGivesTheSeverity(t *testing.T) {
	tests := []struct {
		priority string
		want     signals.Severity
	}{
		{"Emergency", signals.SeverityCritical},
		{"Alert", signals.SeverityCritical},
		{"Critical", signals.SeverityCritical},
		{"ERROR", signals.SeverityHigh},
		{"Warning", signals.SeverityMedium},
		{"notice", signals.SeverityLow},
		{"Informational", signals.SeverityInfo},
		{"Debug", signals.SeverityInfo},
	}
	for _, tt := range tests {
		t.Run(tt.priority, func(t *testing.T) {
			s := decodeJSON(t, withFields(t, falcoBase,
				map[string]any{"priority": tt.priority}))
			if s.Severity != tt.want || s.Category != signals.CategoryThreat {
				t.Errorf("severity %s, category %s; want %s threat",
					s.Severity, s.Category, tt.want)
			}
			if s.Attributes["priority"] != strings.ToLower(tt.priority) {
				t.Errorf("priority attribute = %v", s.Attributes["priority"])
			}
		})
	}
}

func TestFalcoNamesTheContainerAndPodNotTheUserInside(t *testing.T) {
	s := decodeJSON(t, falcoBase)
	want := []signals.Subject{
		sub(device, "0f1e2d3c4b5a", target),
		sub(device, "payments/payments-api", target),
		sub(device, "payments/payments-api-7d9f8c6b5-x2x9z", target),
		sub(device, "payments-api", location),
		sub(device, "node-7", location),
	}
	if !slices.Equal(s.Subjects, want) {
		t.Errorf("subjects:\n got %v\nwant %v", s.Subjects, want)
	}
	if s.Type != "Terminal shell in container" || s.Summary != s.Type {
		t.Errorf("type %q, summary %q", s.Type, s.Summary)
	}
	for k, v := range map[string]any{"user.name": "root",
		"container.image.repository": "registry.example.com/payments-api",
		"tags":                       "container,shell,mitre_execution", "source": "syscall",
		"user.uid": json.Number("0"), "hostname": "node-7"} {
		if s.Attributes[k] != v {
			t.Errorf("attribute %s = %v, want %v", k, s.Attributes[k], v)
		}
	}
	if _, ok := s.Attributes["proc.aname[2]"]; ok {
		t.Error("a null output field became an attribute")
	}
}

func TestFalcoKeepsNoCommandLine(t *testing.T) {
	cloudTrail := falcoWith(t, map[string]any{"source": "aws_cloudtrail"},
		map[string]any{"ct.request": `{"secretString": "hunter2"}`,
			"ct.response": `{"password": "hunter2"}`, "ct.name": "CreateSecret"})
	for _, alert := range []string{falcoBase, cloudTrail} {
		out, err := json.Marshal(decodeJSON(t, alert))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(out), "hunter2") {
			t.Errorf("the signal keeps a command line or a request: %s", out)
		}
	}
}

func TestFalcoNamesWhomTheSourceNames(t *testing.T) {
	tests := []struct {
		name   string
		top    map[string]any
		fields map[string]any
		want   []signals.Subject
	}{
		{"A process on the host names the host and its users",
			nil, map[string]any{"container.id": "host", "container.name": "host",
				"user.loginname": "alice", "user.loginuid": 1000},
			[]signals.Subject{sub(device, "node-7", target),
				sub(username, "alice", actor), sub(username, "root", actor)}},
		{"No login user on the host is no one",
			nil, map[string]any{"container.id": "host", "container.name": "host",
				"user.loginname": "<NA>"},
			[]signals.Subject{sub(device, "node-7", target),
				sub(username, "root", actor)}},
		{"Without a container id the host is only where Falco ran",
			nil, map[string]any{"container.id": nil, "container.name": "host",
				"k8s.pod.name": nil},
			[]signals.Subject{sub(device, "node-7", location)}},
		{"A Kubernetes audit alert names the requesting user",
			map[string]any{"source": "k8s_audit"},
			map[string]any{"ka.user.name": "dev@example.com"},
			[]signals.Subject{sub(email, "dev@example.com", actor),
				sub(device, "node-7", location)}},
		{"The Okta plugin names the actor, its session, the target and the address",
			map[string]any{"source": "okta"}, map[string]any{
				"okta.actor.id": "00uJANE00000000000001", "okta.actor.Type": "User",
				"okta.actor.alternateid":        "jane@example.com",
				"okta.authentication.sessionid": "102bZDNFfWaQSyEZQuDgWt-uQ",
				"okta.target.user.alternateid":  "ken@example.com",
				"okta.target.user.id":           "unknown",
				"okta.client.ip":                "203.0.113.61"},
			[]signals.Subject{sub(userID, "00uJANE00000000000001", actor),
				sub(email, "jane@example.com", actor),
				sub(session, "102bZDNFfWaQSyEZQuDgWt-uQ", actor),
				sub(email, "ken@example.com", target),
				sub(ip, "203.0.113.61", source), sub(device, "node-7", location)}},
		{"An Okta app acting is a client, never a user",
			map[string]any{"source": "okta"}, map[string]any{
				"okta.actor.id": "0oaAPP000000000000001", "okta.actor.Type": "PublicClientApp",
				"okta.actor.alternateid": "jane@example.com"},
			[]signals.Subject{sub(clientID, "0oaAPP000000000000001", actor),
				sub(device, "node-7", location)}},
		{"The CloudTrail plugin names the caller, the user it acts on and the address",
			map[string]any{"source": "aws_cloudtrail"}, map[string]any{
				"ct.user.arn":         "arn:aws:iam::111122223333:user/jane",
				"ct.user":             "jane",
				"ct.request.username": "ken",
				"ct.srcip":            "203.0.113.62",
				"ct.request":          `{"secretString": "hunter2"}`},
			[]signals.Subject{sub(arn, "arn:aws:iam::111122223333:user/jane", actor),
				sub(username, "jane", actor), sub(username, "ken", target),
				sub(ip, "203.0.113.62", source), sub(device, "node-7", location)}},
		{"A user CloudTrail hides is no one",
			map[string]any{"source": "aws_cloudtrail"}, map[string]any{
				"ct.user": "HIDDEN_DUE_TO_SECURITY_REASONS", "ct.srcip": "AWS Internal"},
			[]signals.Subject{sub(device, "node-7", location)}},
		{"Another plugin source names no one",
			map[string]any{"source": "gcp_auditlog"}, nil,
			[]signals.Subject{sub(device, "node-7", location)}},
		{"A Kubernetes name counts only within its namespace: bare, anyone " +
			"who may start a pod chooses it",
			nil, map[string]any{"container.id": "9e8d7c6b5a4f",
				"k8s.ns.name": "sandbox", "k8s.pod.name": "evil"},
			[]signals.Subject{sub(device, "9e8d7c6b5a4f", target),
				sub(device, "sandbox/payments-api", target),
				sub(device, "sandbox/evil", target),
				sub(device, "payments-api", location),
				sub(device, "node-7", location)}},
		{"Outside Kubernetes a container is named as it is, a pod alone only " +
			"where it ran",
			nil, map[string]any{"k8s.ns.name": nil},
			[]signals.Subject{sub(device, "0f1e2d3c4b5a", target),
				sub(device, "payments-api", target),
				sub(device, "payments-api-7d9f8c6b5-x2x9z", location),
				sub(device, "node-7", location)}},
		{"A field Falco could not fill reads as absent",
			nil, map[string]any{"container.name": "<NA>", "k8s.ns.name": "<NA>",
				"k8s.pod.name": "<NA>"},
			[]signals.Subject{sub(device, "0f1e2d3c4b5a", target),
				sub(device, "node-7", location)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := decodeJSON(t, falcoWith(t, tt.top, tt.fields))
			if !slices.Equal(s.Subjects, tt.want) {
				t.Errorf("subjects:\n got %v\nwant %v", s.Subjects, tt.want)
			}
		})
	}
}

// 1796029200123456789 is above 2^53: through float64 it would lose its
// last digits.
func TestFalcoKeepsNanosecondsAndEveryDigit(t *testing.T) {
	s := decodeJSON(t, falcoBase)
	want := time.Date(2026, 11, 30, 9, 0, 0, 123456789, time.UTC)
	if !s.Time.Equal(want) {
		t.Errorf("time = %s, want %s", s.Time.Format(time.RFC3339Nano), want)
	}
	n := s.Attributes["evt.time.iso8601"]
	if n != json.Number("1796029200123456789") {
		t.Errorf("evt.time.iso8601 = %v", n)
	}
	out, _ := json.Marshal(s)
	if !strings.Contains(string(out), `"evt.time.iso8601":1796029200123456789`) {
		t.Errorf("marshalled signal lost digits: %s", out)
	}
}

func TestFalcoWithNullOutputFieldsDecodes(t *testing.T) {
	s := decodeJSON(t, withFields(t, falcoBase,
		map[string]any{"output_fields": json.RawMessage("null")}))
	want := []signals.Subject{sub(device, "node-7", location)}
	if !slices.Equal(s.Subjects, want) {
		t.Errorf("subjects = %v, want %v", s.Subjects, want)
	}
}

func TestFalcoDedupKeyIsTheUUIDElseTheDocument(t *testing.T) {
	if s := decodeJSON(t, falcoBase); s.DedupKey !=
		"falco:5c1f9a1e-2b7d-4c8e-9f0a-1b2c3d4e5f60" {
		t.Errorf("with a uuid: %q", s.DedupKey)
	}
	bare := withFields(t, falcoBase, map[string]any{"uuid": nil})
	a := decodeJSON(t, bare)
	b := decodeJSON(t, withFields(t, bare, nil))
	later := decodeJSON(t, withFields(t, bare,
		map[string]any{"time": "2026-11-30T09:00:00.123456790Z"}))
	if !strings.HasPrefix(a.DedupKey, "falco:sha256:") ||
		a.DedupKey != b.DedupKey || a.DedupKey == later.DedupKey {
		t.Errorf("without a uuid: %q, re-encoded %q, a nanosecond later %q",
			a.DedupKey, b.DedupKey, later.DedupKey)
	}
}

func TestFalcoBadFieldsAreFieldErrors(t *testing.T) {
	tests := []struct {
		name   string
		fields map[string]any
		want   string
	}{
		{"A time that is not RFC 3339", map[string]any{"time": "yesterday"},
			`signal falco: time: not an RFC 3339 time ("yesterday")`},
		{"Output fields that are a string", map[string]any{
			"output_fields": "container.id=abc"},
			"signal falco: output_fields: not an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := signals.Decode([]byte(withFields(t, falcoBase, tt.fields)))
			checkErr(t, err, nil, tt.want)
		})
	}
}

func TestFalcoLookalikesAreNotTakenForAlerts(t *testing.T) {
	tests := []struct {
		name     string
		fields   map[string]any
		nearMiss string
	}{
		{"A priority Falco does not have", map[string]any{"priority": "high"},
			"signal falco: priority: not a Falco priority"},
		{"No output fields", map[string]any{"output_fields": nil},
			"signal falco: output_fields: missing"},
		{"A rule that is an object", map[string]any{
			"rule": map[string]any{"name": "x"}},
			"signal falco: rule: not a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := signals.Decode([]byte(withFields(t, falcoBase, tt.fields)))
			if !errors.Is(err, signals.ErrUnknownFormat) ||
				!strings.Contains(err.Error(), tt.nearMiss) {
				t.Errorf("error = %v, want ErrUnknownFormat naming %q",
					err, tt.nearMiss)
			}
		})
	}
}
