package engine

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/segmentio/kafka-go"

	"github.com/killswitch-dev/killswitch/internal/logbuf"
	"github.com/killswitch-dev/killswitch/store"
)

// hostileCase is one payload that must go to the dead-letter topic with
// a reason that contains reason.
type hostileCase struct {
	name   string
	key    []byte
	value  []byte
	reason string
}

func hostileCases(t *testing.T) []hostileCase {
	okta := string(readFile(t, "../testdata/alerts/08-okta-session-start-alice.json"))
	gg := string(readFile(t, "../testdata/alerts/04-gitguardian-openai-key-triggered.json"))
	huge := `{"source": "GitGuardian", "incident": {"pad": "` +
		strings.Repeat("A", 10<<20) + `"}}`
	return []hostileCase{
		{"An empty message with no key", nil, nil, "empty payload"},
		{"Null where an object is expected", []byte("k"), []byte("null"),
			"top-level value is null"},
		{"Binary garbage", []byte("k"), []byte("\x00\x01\xfe\xff{"),
			"not a JSON object"},
		{"JSON nested too deeply", []byte("k"),
			[]byte(`{"a":` + strings.Repeat("[", 20000) + "}"), "depth"},
		{"A time beyond 2^63 nanoseconds", []byte("alice"),
			[]byte(strings.Replace(okta, `"2026-11-30T08:47:12.305Z"`,
				"99999999999999999999999", 1)), "published"},
		{"An identifier of the wrong type", []byte("owner"),
			[]byte(strings.Replace(gg, `"id": 88412`, `"id": {"n": 1}`, 1)),
			"incident.id"},
		{"A field its format is known by of the wrong type", []byte("alice"),
			[]byte(strings.Replace(okta, `"uuid": "7d3e9f20-ceb1-11f1-9a4b-6b1f0c2d3e4f"`,
				`"uuid": {"id": 1}`, 1)), "uuid: not a string"},
		{"A key twice", []byte("alice"), []byte(strings.Replace(okta,
			`"eventType": "user.session.start",`, `"eventType": "user.session.start",
			"eventType": "user.session.end",`, 1)), `key "eventType" appears twice`},
		{"UTF-8 garbage in an identifier", []byte("alice"),
			[]byte(strings.Replace(okta, "7d3e9f20-ceb1", "7d3e9f20-\xc3\x28", 1)),
			"invalid UTF-8"},
		{"A payload of ten megabytes", []byte("big"), []byte(huge),
			"incident.id"},
	}
}

func TestHostilePayloadsAreDeadLetteredWithTheirReason(t *testing.T) {
	r := newRig(t, "../testdata/inventory.yaml", nil)
	r.start()
	cases := hostileCases(t)
	for i, c := range cases {
		r.send([2][]byte{c.key, c.value})
		r.waitFor(c.name+" processed", func() bool { return r.settled(i + 1) })
	}
	r.stop()

	dlq := dlqBySource(r.readAll(DefaultDLQTopic))
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep := r.reports[i]
			if rep.Poison == nil {
				t.Fatalf("not dead-lettered: %+v", rep.Outcome.Signal)
			}
			m, ok := dlq[sourceOf(rep.Message)]
			if !ok {
				t.Fatalf("no DLQ message for %s", sourceOf(rep.Message))
			}
			if got := headerValue(m, HeaderError); !strings.Contains(got, c.reason) {
				t.Errorf("DLQ reason %q does not name %q", got, c.reason)
			}
			assertDLQPayload(t, m, c.value)
		})
	}
	assertAllCommitted(t, r)
}

// assertDLQPayload checks that the DLQ kept the payload, or said why it
// could not: the DLQ writer takes messages up to 1 MB.
func assertDLQPayload(t *testing.T, m kafka.Message, payload []byte) {
	t.Helper()
	omitted := headerValue(m, HeaderPayloadOmitted)
	switch {
	case len(payload) > 1<<20 && omitted == "":
		t.Errorf("a %d-byte payload on the DLQ without %s", len(payload),
			HeaderPayloadOmitted)
	case len(payload) <= 1<<20 && !bytes.Equal(m.Value, payload):
		t.Errorf("DLQ payload is %d bytes, want the %d sent (omitted: %q)",
			len(m.Value), len(payload), omitted)
	}
}

// dlqBySource indexes dead-lettered messages by their source partition
// and offset.
func dlqBySource(msgs []kafka.Message) map[string]kafka.Message {
	out := map[string]kafka.Message{}
	for _, m := range msgs {
		out[headerValue(m, HeaderSourcePartition)+"/"+
			headerValue(m, HeaderSourceOffset)] = m
	}
	return out
}

func sourceOf(m Message) string {
	return strconv.Itoa(m.Partition) + "/" + strconv.FormatInt(m.Offset, 10)
}

// assertAllCommitted checks that the group committed every partition up
// to its end: no message is stuck.
func assertAllCommitted(t *testing.T, r *rig) {
	t.Helper()
	committed := r.committed(DefaultAlertsTopic)
	for part, end := range r.endOffsets(DefaultAlertsTopic) {
		if end > 0 && committed[part] != end {
			t.Errorf("partition %d committed at %d, end is %d",
				part, committed[part], end)
		}
	}
}

// canaries are secrets planted in payloads; none may appear in a DLQ
// header, an audit entry, a stored decision or a log line.
var canaries = []string{
	"ghp_CanaryNotARealToken1111111111111111",
	"sk-CanaryRawSecretInGitGuardian2222",
	"CanaryPassword3333",
	"CanaryToken4444",
}

func secretPayloads(t *testing.T) [][2][]byte {
	gh := string(readFile(t, "../testdata/alerts/03-github-secret-scanning-pat-created.json"))
	gh = strings.Replace(gh, "ghp_DemoOnlyNotARealToken0000000000000000",
		canaries[0], 1)
	gg := string(readFile(t, "../testdata/alerts/04-gitguardian-openai-key-triggered.json"))
	gg = strings.Replace(gg, `"secret_revoked"`, fmt.Sprintf(
		`"occurrences": [{"matches": [{"name": "apikey", "match": %q}]}],
		"password": %q, "token": %q, "secret_revoked"`,
		canaries[1], canaries[2], canaries[3]), 1)
	return [][2][]byte{
		{[]byte("gh"), []byte(gh)},
		{[]byte("gg"), []byte(gg)},
		// The same payloads, broken elsewhere, so that they are rejected.
		{[]byte("gh"), []byte(strings.Replace(gh, `"number": 42`, `"number": null`, 1))},
		{[]byte("gg"), []byte(strings.Replace(gg, `"timestamp": "2026`, `"timestamp": "x2026`, 1))},
		{[]byte("unknown"), []byte(fmt.Sprintf(`{"token": %q, "password": %q}`,
			canaries[3], canaries[2]))},
	}
}

func TestNoSecretReachesHeadersAuditOrLogs(t *testing.T) {
	r := newRig(t, "../testdata/inventory.yaml", nil)
	logs := &logbuf.Buffer{}
	r.logs = logs
	r.svc = r.service(shippedPolicies(t))
	r.start()
	msgs := secretPayloads(t)
	r.send(msgs...)
	r.waitFor("every payload processed", func() bool { return r.settled(len(msgs)) })
	r.stop()

	var seen strings.Builder
	for _, m := range r.readAll(DefaultDLQTopic) {
		for _, h := range m.Headers {
			fmt.Fprintf(&seen, "header %s: %s\n", h.Key, h.Value)
		}
	}
	entries, err := r.store.ListAudit(context.Background(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		fmt.Fprintf(&seen, "audit %s %s %s\n", e.Event, e.Subject, e.Details)
	}
	sigs, err := r.store.ListSignals(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sigs {
		fmt.Fprintf(&seen, "signal %s %s\n", s.Signal, s.Decision)
	}
	seen.WriteString(logs.String())
	for _, c := range canaries {
		if strings.Contains(seen.String(), c) {
			t.Errorf("secret %s leaked into headers, audit, signals or logs", c)
		}
	}
	if n := len(r.readAll(DefaultDLQTopic)); n != 3 {
		t.Errorf("%d payloads dead-lettered, want 3", n)
	}
}
