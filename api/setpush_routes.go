package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"

	"github.com/killswitch-dev/killswitch/api/ingest"
	"github.com/killswitch-dev/killswitch/api/setpush"
	"github.com/killswitch-dev/killswitch/store"
)

// routeSETPush receives Security Event Tokens pushed by a Shared Signals
// transmitter (RFC 8935); like routeAlerts, it is not in the generated
// server and reads its own body (x-raw-body).
const routeSETPush = "POST " + BasePath + "/ssf/push"

// MaxSETBody bounds a pushed SET: one signed event is a few KiB.
const MaxSETBody = 64 << 10

// setType is the media type of a SET (RFC 8417 section 8.2).
const setType = "application/secevent+jwt"

// pushSET serves routeSETPush: see the operation in openapi.yaml.
func (s *Server) pushSET(w http.ResponseWriter, r *http.Request) {
	in, rc := s.ops.Ingest, s.ops.SETReceiver
	if in == nil || rc == nil {
		writeProblem(w, r, unavailable("the Shared Signals receiver "+
			"(--ssf-receiver-issuer)"))
		return
	}
	c, _ := CallerFrom(r.Context())
	if !s.allowIngest(w, r, c, "ssf") {
		return
	}
	claims, err := s.verifySET(w, r, rc)
	if ev, ok := setpush.StreamEventOf(claims); err == nil && ok {
		err = s.recordStreamEvent(r, c, ev)
	} else if err == nil {
		err = s.ingestSET(r, c, claims)
	}
	s.answerSET(w, r, err)
}

// EventSSFStreamEvent is the audit event of an SSF framework event a
// transmitter pushed (a verification, a stream's new status).
const EventSSFStreamEvent = "ssf.stream_event"

// recordStreamEvent audits and logs an SSF framework event: it names no
// subject, so it is no alert, but the operator who asked a transmitter
// to verify the stream learns here that it works end to end. Refusing
// it, as the decoders would, failed the verification SSF 1.0 asks
// receivers to make and dead-lettered it.
func (s *Server) recordStreamEvent(r *http.Request, c Caller,
	ev setpush.StreamEvent) error {
	details, _ := json.Marshal(map[string]string{"iss": ev.Issuer,
		"jti": ev.JTI, "state": clip(ev.State), "status": ev.Status,
		"reason": clip(ev.Reason)})
	err := s.st.AppendAudit(context.WithoutCancel(r.Context()),
		store.AuditEntry{Time: s.now(), Actor: c.Actor(),
			Event: EventSSFStreamEvent, Subject: ev.Type, Details: details})
	if err != nil {
		return fmt.Errorf("audit SSF %s event: %w", ev.Type, err)
	}
	s.log.Info("shared signals stream event received", "event", ev.Type,
		"issuer", ev.Issuer, "status", ev.Status)
	return nil
}

// clip bounds a transmitter's free text kept in the audit.
func clip(s string) string {
	if len(s) > 256 {
		return s[:256]
	}
	return s
}

// verifySET reads and verifies the pushed SET and returns its claims; a
// SET refused, or one whose keys are away, is counted.
func (s *Server) verifySET(w http.ResponseWriter, r *http.Request,
	rc *setpush.Receiver) ([]byte, error) {
	set, err := readSET(w, r)
	var claims []byte
	if err == nil {
		claims, err = rc.Verify(r.Context(), set)
	}
	var refused *setpush.Error
	switch {
	case errors.As(err, &refused):
		s.ops.Ingest.Metrics().Rejected("ssf", refused.Code, 1)
	case err != nil:
		s.ops.Ingest.Metrics().Rejected("ssf", ingest.ReasonUnavailable, 1)
	}
	return claims, err
}

// readSET reads a pushed SET: of the SET media type, at most MaxSETBody.
func readSET(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	t, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if t != setType {
		return nil, &setpush.Error{Code: setpush.CodeInvalidRequest,
			Description: fmt.Sprintf("Content-Type is %q, not %s",
				r.Header.Get("Content-Type"), setType)}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxSETBody))
	var big *http.MaxBytesError
	if errors.As(err, &big) {
		return nil, &setpush.Error{Code: setpush.CodeInvalidRequest,
			Description: fmt.Sprintf("the SET is larger than %d bytes "+
				"(64 KiB), the most this receiver takes", MaxSETBody)}
	}
	if err != nil {
		return nil, &setpush.Error{Code: setpush.CodeInvalidRequest,
			Description: "the body was cut short: " + err.Error()}
	}
	return body, nil
}

// ingestSET publishes a verified SET's claims as an alert; claims no
// decoder accepts are dead-lettered and refused as invalid_request. The
// ingester counts either.
func (s *Server) ingestSET(r *http.Request, c Caller, claims []byte) error {
	a := s.ops.Ingest.Decode(1, claims)
	src := ingest.Source{Route: routeSETPush, Actor: c.Actor(),
		TokenID: c.TokenID}
	if err := s.ops.Ingest.Ingest(r.Context(), "ssf", src,
		[]ingest.Alert{a}); err != nil {
		return err
	}
	if a.Err != nil {
		return &setpush.Error{Code: setpush.CodeInvalidRequest,
			Description: "the SET's claims are not an event this " +
				"receiver decodes: " + a.Err.Error()}
	}
	return nil
}

// answerSET answers a push: 202 with no body, a refused SET as RFC 8935
// says (400 and its JSON), or a problem document for what is not the
// SET's fault (503 while its keys or Kafka are away).
func (s *Server) answerSET(w http.ResponseWriter, r *http.Request, err error) {
	var refused *setpush.Error
	switch {
	case err == nil:
		w.WriteHeader(http.StatusAccepted)
	case errors.As(err, &refused):
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(refused)
	case errors.Is(err, setpush.ErrKeysUnavailable):
		s.log.Warn("SET not verified: its issuer's keys are away", "err", err)
		retry, detail := keysWait(err)
		w.Header().Set("Retry-After", retry)
		writeProblem(w, r, problem(ProblemCodeUnavailable, detail))
	default:
		writeProblem(w, r, s.ingestProblem(w, r, err))
	}
}

// keysWait is the Retry-After, in seconds, and the detail of the answer
// to a SET whose keys are away: until its issuer's JWKS may be fetched
// again, when that is the reason, else ingestRetryAfter.
func keysWait(err error) (string, string) {
	var wait *setpush.WaitError
	if !errors.As(err, &wait) {
		return ingestRetryAfter, "the issuer's JWKS cannot be fetched " +
			"now; send the SET again"
	}
	secs := strconv.Itoa(int(math.Ceil(wait.Wait.Seconds())))
	if wait.Kid == "" {
		return secs, "the issuer's JWKS could not be fetched; it is " +
			"fetched again in " + secs + "s: send the SET again then"
	}
	return secs, "the SET's kid is not in its issuer's JWKS, fetched " +
		"moments ago; it is fetched again in " + secs + "s: send the " +
		"SET again then (it is refused if the key is still not there)"
}
