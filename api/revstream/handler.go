package revstream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// Allow decides whether a client may see an entry; nil allows every one.
// An entry it refuses is never sent, but the client's Last-Event-ID still
// moves past it.
type Allow func(store.RevocationEntry) bool

// ServeHTTP serves every entry to the client; see Serve.
func (s *Stream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.Serve(w, r, nil)
}

// Serve streams the log to one client as server-sent events until it
// goes away: each entry is an event whose id is its sequence number, whose
// type is the entry's (session.revoked, credential.revoked,
// principal.disabled, lock.placed, lock.lifted) and whose data is the
// entry as JSON. It starts after the Last-Event-ID header, or the
// last_event_id query parameter (for clients that cannot set headers), or
// at the end of the log when neither is given: "0" replays it all. An
// idle stream sends a heartbeat comment every Config.Heartbeat. A bad
// event id is answered 400, an unreadable log 503.
func (s *Stream) Serve(w http.ResponseWriter, r *http.Request, allow Allow) {
	after, err := s.Start(r)
	var bad *BadIDError
	if errors.As(err, &bad) {
		problem(w, http.StatusBadRequest, err)
		return
	}
	if err != nil {
		problem(w, http.StatusServiceUnavailable, err)
		return
	}
	release, err := s.Admit()
	if err != nil {
		w.Header().Set("Retry-After", "5")
		problem(w, http.StatusServiceUnavailable, err)
		return
	}
	defer release()
	s.Follow(w, r, after, allow)
}

// Follow streams the entries after seq after to one client, as Serve
// does, until it goes away or r's context ends. The caller holds a place
// from Admit.
func (s *Stream) Follow(w http.ResponseWriter, r *http.Request, after int64,
	allow Allow) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	c := &client{w: w, rc: http.NewResponseController(w),
		timeout: s.cfg.WriteTimeout}
	if err := c.send([]byte("retry: 2000\n\n")); err != nil {
		return
	}
	err := s.follow(r.Context(), c, after, allow)
	if err != nil && !errors.Is(err, errGone) && r.Context().Err() == nil {
		s.logger.Warn("revocation stream ended; the client resumes with "+
			"Last-Event-ID", "err", err, "last_event_id", after)
	}
}

// BadIDError: the event id a client resumes from is not one this stream
// gave: not a number, negative, or past the end of the log (resuming
// there would skip every entry up to it).
type BadIDError struct {
	// Param is where the id came from: "Last-Event-ID" (the header) or
	// "last_event_id" (the query parameter).
	Param string
	// Value is the id, cut to 40 bytes.
	Value  string
	Reason string
}

func (e *BadIDError) Error() string {
	where := e.Param + " parameter"
	if e.Param == "Last-Event-ID" {
		where = e.Param + " header"
	}
	return fmt.Sprintf("bad event id: %s %q: %s", where, e.Value, e.Reason)
}

// Start is the sequence number the client of r has seen up to: its
// Last-Event-ID header, or last_event_id parameter, or the end of the
// log. An id this stream never gave is a *BadIDError.
func (s *Stream) Start(r *http.Request) (int64, error) {
	v, where := r.Header.Get("Last-Event-ID"), "Last-Event-ID"
	if v == "" {
		v, where = r.URL.Query().Get("last_event_id"), "last_event_id"
	}
	last, err := s.log.LastRevocationSeq(r.Context())
	if err != nil {
		return 0, fmt.Errorf("read the revocation log: %w", err)
	}
	if v == "" {
		return last, nil
	}
	seq, err := strconv.ParseInt(v, 10, 64)
	switch {
	case err != nil || seq < 0:
		return 0, badID(where, v, "not an event id of this stream "+
			"(a sequence number, 0 or more)")
	case seq > last:
		return 0, badID(where, v, fmt.Sprintf("past the end of the "+
			"revocation log (its last event is %d): not an id this "+
			"stream gave; resume from 0 to replay the log", last))
	}
	return seq, nil
}

func badID(param, v, reason string) *BadIDError {
	if len(v) > 40 {
		v = v[:40] + "..."
	}
	return &BadIDError{Param: param, Value: v, Reason: reason}
}

// follow sends entries after seq after as they come, until the client
// goes away (nil) or the log cannot be read.
func (s *Stream) follow(ctx context.Context, c *client, after int64,
	allow Allow) error {
	poll := time.NewTicker(s.cfg.Poll)
	defer poll.Stop()
	beat := time.NewTicker(s.cfg.Heartbeat)
	defer beat.Stop()
	for {
		wake := s.woken() // before the read: a later notify is not lost
		n, err := s.sendAfter(ctx, c, &after, allow)
		if err != nil || ctx.Err() != nil {
			return err
		}
		if n == s.cfg.Page {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-poll.C:
		case <-beat.C:
			if err := c.send([]byte(": heartbeat\n\n")); err != nil {
				return err
			}
		}
	}
}

// sendAfter sends one page of entries after *after, moves *after past
// them and returns how many there were.
func (s *Stream) sendAfter(ctx context.Context, c *client, after *int64,
	allow Allow) (int, error) {
	es, err := s.log.RevocationLog(ctx, *after, s.cfg.Page)
	if err != nil || len(es) == 0 {
		return 0, err
	}
	var buf bytes.Buffer
	if es[0].Seq > *after+1 {
		if err := s.writeGap(ctx, &buf, *after); err != nil {
			return 0, err
		}
	}
	skipped := false
	sent := 0
	for _, e := range es {
		skipped = allow != nil && !allow(e)
		if !skipped {
			if err := writeEvent(&buf, e); err != nil {
				return 0, err
			}
			sent++
		}
	}
	last := es[len(es)-1].Seq
	if skipped {
		// An id without data moves the client's Last-Event-ID and
		// dispatches nothing.
		fmt.Fprintf(&buf, "id: %d\n\n", last)
	}
	*after = last
	if err := c.send(buf.Bytes()); err != nil {
		return 0, err
	}
	s.sent.Add(float64(sent))
	return len(es), nil
}

// Gap is the data of a "gap" event: the entries after After, up to and
// including PrunedThrough, were pruned from the log before the client
// read them. The client has missed revocations and must reconcile from
// the registry (GET /v1/sessions?status=revoked, /v1/locks) before it
// trusts the stream again.
type Gap struct {
	After         int64  `json:"after"`
	PrunedThrough int64  `json:"pruned_through"`
	Detail        string `json:"detail"`
}

// writeGap writes a gap event when entries after seq after were pruned.
// Seq numbers are never skipped otherwise, so only a hole in them asks
// the store. The event carries no id: the client's Last-Event-ID moves
// with the entries that follow, and a client cut off before them is
// told again.
func (s *Stream) writeGap(ctx context.Context, buf *bytes.Buffer,
	after int64) error {
	pruned, err := s.log.RevocationLogPruned(ctx)
	if err != nil || pruned <= after {
		return err
	}
	data, err := json.Marshal(Gap{After: after, PrunedThrough: pruned,
		Detail: fmt.Sprintf("revocation log entries %d to %d were "+
			"pruned (past the log's retention) before this client read "+
			"them: reconcile from GET /v1/sessions?status=revoked and "+
			"GET /v1/locks", after+1, pruned)})
	if err != nil {
		return err
	}
	fmt.Fprintf(buf, "event: gap\ndata: %s\n\n", data)
	s.logger.Warn("revocation stream client resumed before the log's "+
		"pruned head; told it of the gap", "last_event_id", after,
		"pruned_through", pruned)
	return nil
}

// writeEvent writes e as one server-sent event.
func writeEvent(buf *bytes.Buffer, e store.RevocationEntry) error {
	data, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode revocation log entry %d: %w", e.Seq, err)
	}
	fmt.Fprintf(buf, "id: %d\nevent: %s\ndata: %s\n\n", e.Seq, e.Type, data)
	return nil
}

// client is one connected client.
type client struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
}

// send writes b and flushes it, within the write timeout.
func (c *client) send(b []byte) error {
	err := c.rc.SetWriteDeadline(time.Now().Add(c.timeout))
	if err != nil && !errors.Is(err, http.ErrNotSupported) {
		return errGone
	}
	if _, err := c.w.Write(b); err != nil {
		return errGone
	}
	if err := c.rc.Flush(); err != nil {
		return errGone
	}
	return nil
}

// problem writes an RFC 9457 problem document.
func problem(w http.ResponseWriter, status int, err error) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"type": "about:blank", "status": status,
		"title": http.StatusText(status), "detail": err.Error()})
}
