package api

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/killswitch-dev/killswitch/api/ingest"
)

// routeAlerts takes alerts in any format the engine decodes; it is not
// in the generated server (oapi-codegen.yaml), as its body has no one
// schema, and it bounds its body itself (x-raw-body).
const routeAlerts = "POST " + BasePath + "/alerts"

// MaxAlertsBody bounds a body of alerts, one or many: the size of the
// largest message a Kafka topic takes by default.
const MaxAlertsBody = 1 << 20

// MaxAlertsPerBody bounds the alerts of one NDJSON body. Each alert that
// does not decode is a dead letter and an audit entry: a mebibyte of
// "{}" lines made 349,334 of each from one request (160 MB of registry,
// a 35 MB answer), where a mebibyte of real alerts holds a few thousand.
const MaxAlertsPerBody = 10000

// ndjson is the media type of a body of many alerts, one per line.
const ndjson = "application/x-ndjson"

// ingestRetryAfter is the Retry-After, in seconds, of an answer that
// Kafka is unavailable.
const ingestRetryAfter = "5"

// postAlerts serves routeAlerts: see the operation in openapi.yaml.
func (s *Server) postAlerts(w http.ResponseWriter, r *http.Request) {
	in := s.ops.Ingest
	if in == nil {
		writeProblem(w, r, unavailable("alert ingestion"))
		return
	}
	c, _ := CallerFrom(r.Context())
	if !s.allowIngest(w, r, c, "alerts") {
		return
	}
	body, ok := readAlertsBody(w, r, in.Metrics(), "alerts")
	if !ok {
		return
	}
	many := isNDJSON(r)
	if n := alertLines(body); many && n > MaxAlertsPerBody {
		in.Metrics().Rejected("alerts", ingest.ReasonTooLarge, 1)
		writeProblem(w, r, problem(ProblemCodeTooLarge, fmt.Sprintf(
			"the body holds %d alerts, more than the %d one request "+
				"may carry: send fewer alerts per request", n,
			MaxAlertsPerBody)))
		return
	}
	alerts := []ingest.Alert{in.Decode(1, body)}
	if many {
		alerts = in.Split(body)
	}
	if len(alerts) == 0 {
		writeProblem(w, r, problem(ProblemCodeInvalidBody,
			"the body holds no alert"))
		return
	}
	src := ingest.Source{Route: routeAlerts, Actor: c.Actor(),
		TokenID: c.TokenID}
	if err := in.Ingest(r.Context(), "alerts", src, alerts); err != nil {
		writeProblem(w, r, s.ingestProblem(w, r, err))
		return
	}
	accepted, rejected := sortAlerts(alerts)
	if len(rejected) > 0 {
		p := rejectedProblem(alerts, many, accepted, rejected)
		if !many {
			p.Detail += bodyHint(body)
		}
		writeProblem(w, r, p)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	json.NewEncoder(w).Encode(alertsAccepted{Accepted: accepted})
}

// alertsAccepted is the AlertsAccepted schema of openapi.yaml, which the
// generator leaves out with the operation.
type alertsAccepted struct {
	Accepted []AcceptedAlert `json:"accepted"`
}

// allowIngest takes one of c's requests to route from its allowance, or
// answers 429 and returns false.
func (s *Server) allowIngest(w http.ResponseWriter, r *http.Request,
	c Caller, route string) bool {
	wait := s.ops.ingestLimit.allow(c.TokenID, s.now())
	if wait == 0 {
		return true
	}
	s.ops.Ingest.Metrics().Rejected(route, ingest.ReasonRateLimited, 1)
	w.Header().Set("Retry-After", strconv.Itoa(retryAfter(wait)))
	writeProblem(w, r, problem(ProblemCodeRateLimited, fmt.Sprintf(
		"this token may make %d requests in a row and %g a second to "+
			"%s", s.ops.IngestBurst, float64(s.ops.IngestRate), r.URL.Path)))
	return false
}

// readAlertsBody reads r's body, gunzipped when its Content-Encoding is
// gzip, up to MaxAlertsBody before and after, or answers 413 (400 for a
// body cut short, one that does not gunzip, or another encoding) and
// returns false. A body so refused is never dead-lettered: it is not
// the alerts, but what the sender made of them.
func readAlertsBody(w http.ResponseWriter, r *http.Request,
	m *ingest.Metrics, route string) ([]byte, bool) {
	body, err := readEncoded(http.MaxBytesReader(w, r.Body, MaxAlertsBody),
		r.Header.Get("Content-Encoding"))
	var big *http.MaxBytesError
	var enc *encodingError
	switch {
	case errors.As(err, &big):
		m.Rejected(route, ingest.ReasonTooLarge, 1)
		writeProblem(w, r, problem(ProblemCodeTooLarge, fmt.Sprintf(
			"the body is larger than %d bytes (1 MiB), the most one "+
				"request may carry: send fewer alerts per request",
			MaxAlertsBody)))
		return nil, false
	case errors.As(err, &enc):
		writeProblem(w, r, problem(ProblemCodeInvalidBody, enc.Error()))
		return nil, false
	case err != nil:
		writeProblem(w, r, problem(ProblemCodeInvalidBody,
			"the body was cut short: "+err.Error()))
		return nil, false
	}
	return body, true
}

// encodingError is a body whose Content-Encoding is not taken, or that
// does not decode as its Content-Encoding says.
type encodingError struct{ msg string }

func (e *encodingError) Error() string { return e.msg }

// readEncoded reads body, decoded as coding says: identity (or none) or
// gzip. A gzipped body larger than MaxAlertsBody once gunzipped is a
// *http.MaxBytesError, as a plain one is.
func readEncoded(body io.Reader, coding string) ([]byte, error) {
	switch strings.ToLower(strings.TrimSpace(coding)) {
	case "", "identity":
		return io.ReadAll(body)
	case "gzip", "x-gzip":
	default:
		return nil, &encodingError{fmt.Sprintf("Content-Encoding %q "+
			"is not taken: send the body gzipped or as it is", coding)}
	}
	zr, err := gzip.NewReader(body)
	if err == nil {
		var out []byte
		out, err = io.ReadAll(io.LimitReader(zr, MaxAlertsBody+1))
		if err == nil && len(out) > MaxAlertsBody {
			return nil, &http.MaxBytesError{Limit: MaxAlertsBody}
		}
		if err == nil {
			return out, nil
		}
	}
	var big *http.MaxBytesError
	if errors.As(err, &big) {
		return nil, err
	}
	return nil, &encodingError{"Content-Encoding is gzip, and the body " +
		"does not gunzip: " + err.Error()}
}

// lineTypes are the media types of a body of many JSON values, one per
// line, under the names shippers send it by: a Vector or Fluent Bit sink
// saying application/jsonl had its whole body dead-lettered as one bad
// alert.
var lineTypes = map[string]bool{ndjson: true, "application/ndjson": true,
	"application/jsonl": true, "application/x-jsonlines": true,
	"application/jsonlines": true}

// isNDJSON reports whether r's body is many alerts, one per line.
func isNDJSON(r *http.Request) bool {
	t, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && lineTypes[t]
}

// ingestProblem is the answer to alerts Kafka did not take.
func (s *Server) ingestProblem(w http.ResponseWriter, r *http.Request,
	err error) *Problem {
	var big *ingest.TooLargeError
	switch {
	case errors.As(err, &big):
		p := problem(ProblemCodeTooLarge, big.Error())
		p.Line = big.Line
		return p
	case errors.Is(err, ingest.ErrUnavailable):
		s.log.Warn("alerts not published", "err", err)
		w.Header().Set("Retry-After", ingestRetryAfter)
		return problem(ProblemCodeUnavailable, "Kafka did not "+
			"acknowledge the alerts in time; none may be taken as "+
			"received: send them again (the engine acts once on each)")
	}
	return asProblem(err, s.log, r)
}

// sortAlerts lists the alerts published and those rejected, in order.
func sortAlerts(alerts []ingest.Alert) ([]AcceptedAlert, []RejectedAlert) {
	var acc []AcceptedAlert
	var rej []RejectedAlert
	for _, a := range alerts {
		if a.Err == nil {
			acc = append(acc, AcceptedAlert{Line: a.Line,
				Format: string(a.Signal.Format), DedupKey: a.Signal.DedupKey})
			continue
		}
		ra := RejectedAlert{Line: a.Line,
			Reason: RejectedAlertReason(a.Reason()), Detail: a.Err.Error()}
		if fe, ok := a.Field(); ok {
			ra.Field, ra.Value = fe.Field, fe.Value
		}
		rej = append(rej, ra)
	}
	return acc, rej
}

// rejectedProblem answers a body with rejected alerts (each is on the
// dead-letter topic by now): 400 when the first is not JSON, else 422,
// naming its line and field; the lists say what became of each.
func rejectedProblem(alerts []ingest.Alert, many bool,
	acc []AcceptedAlert, rej []RejectedAlert) *Problem {
	first := rej[0]
	code := ProblemCodeInvalidAlert
	if first.Reason == RejectedAlertReasonNotJSON {
		code = ProblemCodeInvalidBody
	}
	detail := first.Detail
	if many {
		detail = fmt.Sprintf("line %d: %s", first.Line, detail)
	}
	if n := len(alerts) - len(acc); n > 1 {
		detail += fmt.Sprintf(" (and %d more rejected; see rejected)", n-1)
	}
	p := problem(code, detail+"; it was sent to the dead-letter topic")
	p.Parameter, p.Value, p.Line = first.Field, first.Value, first.Line
	p.Rejected, p.Accepted = rej, acc
	return p
}

// bodyHint says, for a lone alert that is no JSON object, what the body
// looks like when the sender meant something else by it: many alerts
// (a JSON array, or JSON values one after another, sent without the
// NDJSON media type: curl's --data-binary sends a form's), or a gzipped
// body without its Content-Encoding. The detail said only "trailing
// data after the object at byte 300" or "invalid character '\x1f'".
func bodyHint(body []byte) string {
	trimmed := bytes.TrimSpace(body)
	switch {
	case bytes.HasPrefix(body, []byte{0x1f, 0x8b}):
		return " (the body is gzipped: say so with Content-Encoding: gzip)"
	case bytes.HasPrefix(trimmed, []byte("[")) && json.Valid(trimmed):
		return " (the body is a JSON array: send many alerts one per " +
			"line, as Content-Type: " + ndjson + ")"
	case manyValues(trimmed):
		return " (the body holds JSON values one after another: send " +
			"them as Content-Type: " + ndjson + ")"
	}
	return ""
}

// manyValues reports whether b is more than one JSON value in a row.
func manyValues(b []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(b))
	n := 0
	for ; ; n++ {
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return errors.Is(err, io.EOF) && n > 1
		}
	}
}

// alertLines counts the lines of an NDJSON body that are not blank, as
// ingest.Split reads them.
func alertLines(body []byte) int {
	n := 0
	for line := range bytes.Lines(body) {
		if len(bytes.TrimSpace(line)) > 0 {
			n++
		}
	}
	return n
}
