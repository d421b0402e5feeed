package api_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/killswitch-dev/killswitch/api"
	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/signals"
	"github.com/killswitch-dev/killswitch/store"
)

const (
	daveAlert   = "../testdata/alerts/05-caep-session-revoked-dave.json"
	aliceAlert  = "../testdata/alerts/01-guardduty-tor-caller-alice.json"
	graceAlert  = "../testdata/alerts/07-risc-credential-compromise-grace.json"
	daveRisk    = "../testdata/alerts/11-graph-risk-high-dave.json"
	oktaBadTime = "../testdata/alerts-bad/okta-published-yesterday.json"
	unknownFmt  = "../testdata/alerts-bad/unknown-format.json"
)

// accepted is the 202 answer to POST /v1/alerts.
type accepted struct {
	Accepted []api.AcceptedAlert `json:"accepted"`
}

// compact is a JSON file on one line, for an NDJSON body.
func compact(t *testing.T, path string) []byte {
	t.Helper()
	var b bytes.Buffer
	must(t, json.Compact(&b, readFile(t, path)))
	return b.Bytes()
}

func ndjsonOf(lines ...[]byte) []byte {
	return append(bytes.Join(lines, []byte("\n")), '\n')
}

func TestAnAlertPostedTwiceIsAcceptedTwiceAndRevokesOnce(t *testing.T) {
	e := newIngestEnv(t, func(s *ingestSetup) { s.engine = true })
	secret := e.token(api.Ingest, store.TokenScopes{})
	alert := readFile(t, daveAlert)
	want, err := signals.Decode(alert)
	must(t, err)

	var first, second accepted
	e.post("/v1/alerts", secret, "application/json", alert).
		want(t, http.StatusAccepted, &first)
	e.post("/v1/alerts", secret, "application/json", alert).
		want(t, http.StatusAccepted, &second)
	for _, a := range [][]api.AcceptedAlert{first.Accepted, second.Accepted} {
		if len(a) != 1 || a[0].DedupKey != want.DedupKey || a[0].Line != 1 ||
			a[0].Format != string(signals.FormatCAEP) {
			t.Fatalf("accepted %+v, want dedup key %s", a, want.DedupKey)
		}
	}

	e.waitFor("both deliveries handled and their actions done", func() bool {
		if e.handled.Load() < 2 {
			return false
		}
		acts, err := e.st.ListActions(t.Context(), store.ActionFilter{})
		must(t, err)
		for _, a := range acts {
			if a.State != store.ActionDone {
				return false
			}
		}
		return len(acts) > 0
	})
	all, err := e.st.ListSignals(t.Context(), 100)
	must(t, err)
	var sigs []store.SignalRecord
	for _, s := range all {
		if s.DedupKey == want.DedupKey {
			sigs = append(sigs, s)
		}
	}
	if len(sigs) != 1 || len(all) != 1 {
		t.Fatalf("%d signals recorded for %s, want 1", len(sigs), want.DedupKey)
	}
	acts, err := e.st.ListActions(t.Context(), store.ActionFilter{
		Kind: "revoke_sessions"})
	must(t, err)
	if len(acts) != 1 || acts[0].SignalID != sigs[0].ID {
		t.Fatalf("revoke_sessions actions %+v, want one of signal %s",
			acts, sigs[0].ID)
	}
	if got := e.sessionStatus("dave-laptop"); got != store.StatusRevoked {
		t.Fatalf("dave-laptop is %s, want revoked", got)
	}
	revoked := 0
	for _, m := range e.readAll(engine.DefaultRevocationsTopic) {
		if strings.Contains(string(m.Value), `"target_id":"dave-laptop"`) {
			revoked++
		}
	}
	if revoked != 1 {
		t.Fatalf("%d revocation events for dave-laptop, want 1", revoked)
	}
	e.noSecret(secret)
}

func TestManyAlertsArePublishedInOrderKeyedByTheirPrincipal(t *testing.T) {
	e := newIngestEnv(t, func(*ingestSetup) {})
	secret := e.token(api.Ingest, store.TokenScopes{})
	lines := [][]byte{compact(t, aliceAlert), compact(t, daveAlert),
		compact(t, graceAlert), compact(t, daveRisk)}
	body := ndjsonOf(lines[0], []byte("  "), lines[1], lines[2], lines[3])

	var got accepted
	e.post("/v1/alerts", secret, "application/x-ndjson; charset=utf-8",
		body).want(t, http.StatusAccepted, &got)

	wantLines := []int{1, 3, 4, 5}
	if len(got.Accepted) != 4 {
		t.Fatalf("accepted %+v, want 4", got.Accepted)
	}
	keys := map[string]string{}
	for i, l := range lines {
		sig, err := signals.Decode(l)
		must(t, err)
		a := got.Accepted[i]
		if a.Line != wantLines[i] || a.DedupKey != sig.DedupKey {
			t.Errorf("accepted[%d] = %+v, want line %d dedup key %s", i, a,
				wantLines[i], sig.DedupKey)
		}
		keys[string(l)] = engine.PartitionKey(sig)
	}
	msgs := e.readAll(engine.DefaultAlertsTopic)
	if len(msgs) != 4 {
		t.Fatalf("%d messages on the alerts topic, want 4", len(msgs))
	}
	var daves []string
	for _, m := range msgs {
		if string(m.Key) == keys[string(lines[1])] {
			daves = append(daves, string(m.Value))
		}
		key, ok := keys[string(m.Value)]
		if !ok || string(m.Key) != key {
			t.Errorf("message keyed %q is not one of the lines as sent, "+
				"keyed by its principal: %s", m.Key, m.Value)
		}
	}
	if len(daves) != 2 || daves[0] != string(lines[1]) ||
		daves[1] != string(lines[3]) {
		t.Fatalf("dave's alerts on his partition: %q, want his two in "+
			"the body's order", daves)
	}
}

// Shippers name a body of JSON lines in several ways; a sink saying
// application/jsonl had its whole body dead-lettered as one bad alert.
func TestJSONLinesUnderEachOfTheirNamesAreManyAlerts(t *testing.T) {
	e := newIngestEnv(t, func(*ingestSetup) {})
	secret := e.token(api.Ingest, store.TokenScopes{})
	body := ndjsonOf(compact(t, aliceAlert), compact(t, daveAlert))
	for _, typ := range []string{"application/ndjson", "application/jsonl",
		"application/x-jsonlines", "Application/JSONL; charset=utf-8"} {
		var got accepted
		e.post("/v1/alerts", secret, typ, body).want(t, http.StatusAccepted, &got)
		if len(got.Accepted) != 2 {
			t.Errorf("%s: accepted %+v, want both lines", typ, got.Accepted)
		}
	}
}

func TestBadAlertsAreProblemsNamingLineAndFieldAndAreDeadLettered(t *testing.T) {
	e := newIngestEnv(t, func(*ingestSetup) {})
	secret := e.token(api.Ingest, store.TokenScopes{})
	body := ndjsonOf(compact(t, aliceAlert), nil, compact(t, oktaBadTime),
		compact(t, unknownFmt), []byte(`{"a": 1,`))

	p := e.post("/v1/alerts", secret, "application/x-ndjson", body).
		problem(t, http.StatusUnprocessableEntity, api.ProblemCodeInvalidAlert)

	if p.Line != 3 || p.Parameter != "published" || p.Value != `"yesterday"` {
		t.Errorf("problem names line %d field %q value %q, want line 3 "+
			"field published value \"yesterday\"", p.Line, p.Parameter, p.Value)
	}
	want := `line 3: signal okta: published: not an RFC 3339 time ("yesterday")`
	if !strings.HasPrefix(p.Detail, want) {
		t.Errorf("detail %q, want it to start %q", p.Detail, want)
	}
	reasons := []api.RejectedAlertReason{api.RejectedAlertReasonInvalidField,
		api.RejectedAlertReasonUnknownFormat, api.RejectedAlertReasonNotJSON}
	if len(p.Rejected) != 3 || len(p.Accepted) != 1 || p.Accepted[0].Line != 1 {
		t.Fatalf("rejected %+v accepted %+v, want lines 3, 4, 5 and 1",
			p.Rejected, p.Accepted)
	}
	for i, r := range p.Rejected {
		if r.Line != 3+i || r.Reason != reasons[i] || r.Detail == "" {
			t.Errorf("rejected[%d] = %+v, want line %d reason %s", i, r,
				3+i, reasons[i])
		}
	}

	dlq := e.readAll(engine.DefaultDLQTopic)
	if len(dlq) != 3 {
		t.Fatalf("%d dead letters, want 3", len(dlq))
	}
	for _, m := range dlq {
		line := map[string]int{string(compact(t, oktaBadTime)): 3,
			string(compact(t, unknownFmt)): 4, `{"a": 1,`: 5}[string(m.Value)]
		r := p.Rejected[max(line-3, 0)]
		if line == 0 || header(m, engine.HeaderError) != r.Detail ||
			header(m, engine.HeaderErrorCode) != engine.CodeDecodeError ||
			!strings.HasPrefix(header(m, engine.HeaderSource),
				"http POST /v1/alerts line "+strconv.Itoa(line)+" token tok_") {
			t.Errorf("dead letter %s with headers %v is not a rejected "+
				"line with its reason", m.Value, m.Headers)
		}
	}
	if got := len(e.readAll(engine.DefaultAlertsTopic)); got != 1 {
		t.Errorf("%d alerts published, want the 1 good one", got)
	}
	if got := e.counter("killswitch_http_alerts_accepted_total",
		"format", "guardduty", "route", "alerts"); got != 1 {
		t.Errorf("accepted guardduty = %v, want 1", got)
	}
	if got := len(e.audit(engine.EventSignalDeadLetter)); got != 3 {
		t.Errorf("%d dead letters audited, want 3", got)
	}
	for reason, want := range map[string]float64{"invalid_field": 1,
		"unknown_format": 1, "not_json": 1} {
		got := e.counter("killswitch_http_alerts_rejected_total",
			"reason", reason, "route", "alerts")
		if got != want {
			t.Errorf("rejected %s = %v, want %v", reason, got, want)
		}
	}
}

func TestALoneAlertThatIsNotJSONIsABadRequest(t *testing.T) {
	e := newIngestEnv(t, func(*ingestSetup) {})
	secret := e.token(api.Ingest, store.TokenScopes{})

	p := e.post("/v1/alerts", secret, "application/json",
		readFile(t, "../testdata/alerts-bad/not-json.json")).
		problem(t, http.StatusBadRequest, api.ProblemCodeInvalidBody)

	if p.Line != 1 || len(p.Rejected) != 1 ||
		p.Rejected[0].Reason != api.RejectedAlertReasonNotJSON ||
		strings.HasPrefix(p.Detail, "line") {
		t.Fatalf("problem %+v, want line 1 not_json without a line prefix", p)
	}
	if got := len(e.readAll(engine.DefaultDLQTopic)); got != 1 {
		t.Fatalf("%d dead letters, want 1", got)
	}
	e.post("/v1/alerts", secret, "application/json", []byte(" \n")).
		problem(t, http.StatusBadRequest, api.ProblemCodeInvalidBody)
}

// A body of many alerts sent without the NDJSON media type (a JSON array,
// or lines of JSON sent as curl sends a form), or gzipped without its
// Content-Encoding, was refused saying only "trailing data after the
// object at byte 300" or "invalid character '\x1f'".
func TestABodyOfAnotherShapeThanItsTypeSaysWhatToSend(t *testing.T) {
	e := newIngestEnv(t, func(*ingestSetup) {})
	secret := e.token(api.Ingest, store.TokenScopes{})
	lines := ndjsonOf(compact(t, aliceAlert), compact(t, daveAlert))
	array := append(append([]byte("[\n"), compact(t, aliceAlert)...),
		[]byte(",\n"+string(compact(t, daveAlert))+"\n]\n")...)
	for _, c := range []struct {
		name, ctype string
		body        []byte
		says        string
	}{
		{"lines of JSON as application/json", "application/json", lines,
			"JSON values one after another: send them as Content-Type: " +
				"application/x-ndjson"},
		{"lines of JSON as curl's form type",
			"application/x-www-form-urlencoded", lines,
			"Content-Type: application/x-ndjson"},
		{"a JSON array", "application/json", array,
			"the body is a JSON array: send many alerts one per line"},
		{"a gzipped body without its encoding", "application/json",
			gzipped(t, compact(t, aliceAlert)),
			"say so with Content-Encoding: gzip"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := e.post("/v1/alerts", secret, c.ctype, c.body).
				problem(t, http.StatusBadRequest, api.ProblemCodeInvalidBody)
			if !strings.Contains(p.Detail, c.says) {
				t.Errorf("detail %q does not say %q", p.Detail, c.says)
			}
		})
	}
	p := e.post("/v1/alerts", secret, "application/json",
		readFile(t, "../testdata/alerts-bad/not-json.json")).
		problem(t, http.StatusBadRequest, api.ProblemCodeInvalidBody)
	if strings.Contains(p.Detail, "Content-") {
		t.Errorf("a body that is just not JSON: %q names a header", p.Detail)
	}
}

func TestOnlyIngestAndAdminTokensPostAlertsAndIngestDoesNothingElse(t *testing.T) {
	e := newIngestEnv(t, func(*ingestSetup) {})
	alert := readFile(t, aliceAlert)
	for _, role := range []api.Role{api.Viewer, api.Responder, api.PolicyAdmin} {
		e.post("/v1/alerts", e.token(role, store.TokenScopes{}),
			"application/json", alert).
			problem(t, http.StatusForbidden, api.ProblemCodeForbidden)
	}
	e.post("/v1/alerts", e.token(api.Admin, store.TokenScopes{}),
		"application/json", alert).want(t, http.StatusAccepted, nil)
	e.post("/v1/alerts", "", "application/json", alert).
		problem(t, http.StatusUnauthorized, api.ProblemCodeUnauthenticated)

	ingest := e.token(api.Ingest, store.TokenScopes{})
	for _, path := range []string{"/v1/principals", "/v1/sessions",
		"/v1/audit", "/v1/tokens", "/v1/openapi.json"} {
		e.get(path, ingest, http.StatusForbidden, nil)
	}
	e.do(http.MethodPost, "/v1/sessions/terminate", ingest,
		map[string]any{"principal_id": "alice", "reason": "x"}).
		problem(t, http.StatusForbidden, api.ProblemCodeForbidden)
	if got := len(e.readAll(engine.DefaultAlertsTopic)); got != 1 {
		t.Fatalf("%d alerts published, want the admin's 1", got)
	}
}

func TestABodyOverTheLimitIsTooLargeNamingTheLimit(t *testing.T) {
	e := newIngestEnv(t, func(*ingestSetup) {})
	secret := e.token(api.Ingest, store.TokenScopes{})
	line := compact(t, aliceAlert)
	body := bytes.Repeat(append(line, '\n'), api.MaxAlertsBody/len(line)+1)

	p := e.post("/v1/alerts", secret, "application/x-ndjson", body).
		problem(t, http.StatusRequestEntityTooLarge, api.ProblemCodeTooLarge)

	if !strings.Contains(p.Detail, "1048576 bytes") {
		t.Errorf("detail %q does not name the limit", p.Detail)
	}
	if got := len(e.readAll(engine.DefaultAlertsTopic)); got != 0 {
		t.Fatalf("%d alerts published from a refused body", got)
	}
}

// A single alert of exactly the body limit passes it, and Kafka then
// refuses it with its key and framing: the answer said only that the
// topic does not take it, not how large an alert may be.
func TestAnAlertTheTopicDoesNotTakeIsTooLargeSayingWhatItTakes(t *testing.T) {
	e := newIngestEnv(t, func(*ingestSetup) {})
	secret := e.token(api.Ingest, store.TokenScopes{})
	line := compact(t, aliceAlert)
	pad := api.MaxAlertsBody - len(line) - len(`,"padding":""`)
	alert := append(line[:len(line)-1:len(line)-1], []byte(
		`,"padding":"`+strings.Repeat("x", pad)+`"}`)...)
	if len(alert) != api.MaxAlertsBody {
		t.Fatalf("the test's alert is %d bytes", len(alert))
	}

	p := e.post("/v1/alerts", secret, "application/json", alert).
		problem(t, http.StatusRequestEntityTooLarge, api.ProblemCodeTooLarge)

	for _, want := range []string{"line 1 (1048576 bytes)",
		"max.message.bytes (1 MiB", "with its key"} {
		if !strings.Contains(p.Detail, want) {
			t.Errorf("detail %q does not say %q", p.Detail, want)
		}
	}
	if got := len(e.readAll(engine.DefaultAlertsTopic)); got != 0 {
		t.Fatalf("%d alerts published", got)
	}
}

// A mebibyte of "{}" lines made 349,334 dead letters and as many audit
// entries from one request; a body of more alerts than MaxAlertsPerBody
// is refused whole, and nothing of it is dead-lettered or published.
func TestABodyOfMoreAlertsThanTheLimitIsTooLarge(t *testing.T) {
	e := newIngestEnv(t, func(*ingestSetup) {})
	secret := e.token(api.Ingest, store.TokenScopes{})
	body := bytes.Repeat([]byte("{}\n\n"), api.MaxAlertsPerBody+1)

	p := e.post("/v1/alerts", secret, "application/x-ndjson", body).
		problem(t, http.StatusRequestEntityTooLarge, api.ProblemCodeTooLarge)

	if !strings.Contains(p.Detail, "10001 alerts, more than the 10000") {
		t.Errorf("detail %q does not name the count and the limit", p.Detail)
	}
	if got := len(e.readAll(engine.DefaultDLQTopic)); got != 0 {
		t.Errorf("%d dead letters from a refused body", got)
	}
	if got := len(e.audit(engine.EventSignalDeadLetter)); got != 0 {
		t.Errorf("%d dead letters audited from a refused body", got)
	}
}

func TestATokenPastItsAllowanceIsRateLimited(t *testing.T) {
	e := newIngestEnv(t, func(s *ingestSetup) {
		s.ops.IngestRate, s.ops.IngestBurst = 0.01, 2
	})
	secret := e.token(api.Ingest, store.TokenScopes{})
	other := e.token(api.Ingest, store.TokenScopes{})
	alert := readFile(t, aliceAlert)
	for range 2 {
		e.post("/v1/alerts", secret, "application/json", alert).
			want(t, http.StatusAccepted, nil)
	}

	r := e.post("/v1/alerts", secret, "application/json", alert)
	r.problem(t, http.StatusTooManyRequests, api.ProblemCodeRateLimited)

	if n, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || n < 1 {
		t.Errorf("Retry-After %q, want whole seconds", r.header.Get("Retry-After"))
	}
	e.post("/v1/alerts", other, "application/json", alert).
		want(t, http.StatusAccepted, nil)
}

func TestKafkaDownIsUnavailableWithRetryAfterNeverAccepted(t *testing.T) {
	e := newIngestEnv(t, func(s *ingestSetup) {
		s.ingest.Timeout = 2 * time.Second
	})
	secret := e.token(api.Ingest, store.TokenScopes{})
	e.post("/v1/alerts", secret, "application/json",
		readFile(t, aliceAlert)).want(t, http.StatusAccepted, nil)
	e.cluster.Close()

	r := e.post("/v1/alerts", secret, "application/json",
		readFile(t, daveAlert))

	r.problem(t, http.StatusServiceUnavailable, api.ProblemCodeUnavailable)
	if r.header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	got := e.counter("killswitch_http_alerts_rejected_total",
		"reason", "unavailable", "route", "alerts")
	if got != 1 {
		t.Errorf("rejected unavailable = %v, want 1", got)
	}
}

func TestWithoutIngestionAlertsAreUnavailable(t *testing.T) {
	e := newEnv(t)
	e.post("/v1/alerts", e.token(api.Ingest, store.TokenScopes{}),
		"application/json", readFile(t, aliceAlert)).
		problem(t, http.StatusServiceUnavailable, api.ProblemCodeUnavailable)
}

// A body of 10,000 alerts, 9,500 of them rejected, fits the 1 MiB a
// request may carry; its rejected alerts went to the dead-letter topic
// one write each, past the request's timeout: 503, and a resend did
// the same again, so the 500 good ones were never published.
func TestTenThousandAlertsMostlyRejectedAreDeadLetteredAndPublished(t *testing.T) {
	e := newIngestEnv(t, func(*ingestSetup) {})
	secret := e.token(api.Ingest, store.TokenScopes{})
	alice := compact(t, aliceAlert)
	var body bytes.Buffer
	for i := range 10000 {
		if i%20 == 0 {
			body.Write(alice)
		} else {
			fmt.Fprintf(&body, `{"n":%d}`, i)
		}
		body.WriteByte('\n')
	}

	p := e.post("/v1/alerts", secret, "application/x-ndjson", body.Bytes()).
		problem(t, http.StatusUnprocessableEntity, api.ProblemCodeInvalidAlert)

	if len(p.Accepted) != 500 || len(p.Rejected) != 9500 || p.Line != 2 {
		t.Fatalf("accepted %d rejected %d first line %d, want 500, 9500, 2",
			len(p.Accepted), len(p.Rejected), p.Line)
	}
	if got := len(e.readAll(engine.DefaultDLQTopic)); got != 9500 {
		t.Errorf("%d dead letters, want 9500", got)
	}
	if got := len(e.readAll(engine.DefaultAlertsTopic)); got != 500 {
		t.Errorf("%d alerts published, want 500", got)
	}
	if got := len(e.audit(engine.EventSignalDeadLetter)); got != 9500 {
		t.Errorf("%d dead letters audited, want 9500", got)
	}
}

// A rejected alert larger than the dead-letter topic takes goes there
// without its value, saying how large it was; the rejected alerts
// beside it in the same write keep theirs and are written once.
func TestARejectedAlertTooLargeForTheDeadLetterTopicGoesWithoutItsValue(t *testing.T) {
	const dlq = "alerts-dlq-small"
	e := newIngestEnv(t, func(s *ingestSetup) { s.ingest.DLQTopic = dlq })
	cl := &kafka.Client{Addr: kafka.TCP(e.brokers...)}
	res, err := cl.CreateTopics(t.Context(), &kafka.CreateTopicsRequest{
		Topics: []kafka.TopicConfig{{Topic: dlq, NumPartitions: 1,
			ReplicationFactor: 1, ConfigEntries: []kafka.ConfigEntry{
				{ConfigName: "max.message.bytes", ConfigValue: "4096"}}}}})
	must(t, err)
	must(t, res.Errors[dlq])
	secret := e.token(api.Ingest, store.TokenScopes{})
	big := `{"n":"` + strings.Repeat("x", 8000) + `"}`
	body := ndjsonOf([]byte(`{"n":1}`), []byte(big), []byte(`{"n":3}`))

	e.post("/v1/alerts", secret, "application/x-ndjson", body).
		problem(t, http.StatusUnprocessableEntity, api.ProblemCodeInvalidAlert)

	got := map[string]string{}
	for _, m := range e.readPartition(dlq, 0, 3) {
		got[header(m, engine.HeaderSource)[:len("http POST /v1/alerts line 1")]] =
			string(m.Value) + "|" + header(m, engine.HeaderPayloadOmitted)
	}
	want := map[string]string{
		"http POST /v1/alerts line 1": `{"n":1}|`,
		"http POST /v1/alerts line 2": "|8008 bytes, too large for " + dlq,
		"http POST /v1/alerts line 3": `{"n":3}|`,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("dead letters %v, want %v", got, want)
	}
}

// postEncoded POSTs body as NDJSON with that Content-Encoding.
func (e *env) postEncoded(secret, coding string, body []byte) response {
	e.t.Helper()
	req, _ := http.NewRequestWithContext(e.t.Context(), http.MethodPost,
		e.srv.URL+"/v1/alerts", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Content-Encoding", coding)
	res, err := e.srv.Client().Do(req)
	must(e.t, err)
	defer res.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(res.Body)
	return response{status: res.StatusCode, header: res.Header,
		body: b.Bytes()}
}

func gzipped(t *testing.T, b []byte) []byte {
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	_, err := zw.Write(b)
	must(t, err)
	must(t, zw.Close())
	return out.Bytes()
}

// A gzipped body, as log shippers send one, was read as it came: the
// compressed bytes were dead-lettered and audited as an alert that is
// not JSON. It is gunzipped, within the 1 MiB a body may carry once
// gunzipped; another encoding, or a body that does not gunzip, is
// refused as a bad body and dead-letters nothing.
func TestAGzippedBodyIsGunzippedAndAnotherEncodingRefused(t *testing.T) {
	e := newIngestEnv(t, func(*ingestSetup) {})
	secret := e.token(api.Ingest, store.TokenScopes{})
	body := ndjsonOf(compact(t, aliceAlert), compact(t, daveAlert))

	var got accepted
	e.postEncoded(secret, "GZIP", gzipped(t, body)).
		want(t, http.StatusAccepted, &got)

	if len(got.Accepted) != 2 || got.Accepted[1].Line != 2 {
		t.Fatalf("accepted %+v, want lines 1 and 2", got.Accepted)
	}
	bomb := gzipped(t, bytes.Repeat([]byte(" "), api.MaxAlertsBody+1))
	if len(bomb) > api.MaxAlertsBody/100 {
		t.Fatalf("the test's bomb is %d bytes gzipped", len(bomb))
	}
	e.postEncoded(secret, "gzip", bomb).
		problem(t, http.StatusRequestEntityTooLarge, api.ProblemCodeTooLarge)
	for coding, body := range map[string][]byte{"br": body,
		"gzip": body, "deflate": gzipped(t, body)} {
		p := e.postEncoded(secret, coding, body).
			problem(t, http.StatusBadRequest, api.ProblemCodeInvalidBody)
		if !strings.Contains(p.Detail, "Content-Encoding") {
			t.Errorf("%s: detail %q does not name Content-Encoding",
				coding, p.Detail)
		}
	}
	if got := len(e.readAll(engine.DefaultDLQTopic)); got != 0 {
		t.Errorf("%d dead letters, want none", got)
	}
	if got := len(e.readAll(engine.DefaultAlertsTopic)); got != 2 {
		t.Errorf("%d alerts published, want 2", got)
	}
}
