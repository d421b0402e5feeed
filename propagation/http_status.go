package propagation

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"

	"github.com/killswitch-dev/killswitch/store"
)

// streamStatus is a stream's status (SSF 1.0 section 8.1.2).
type streamStatus struct {
	StreamID string `json:"stream_id"`
	Status   string `json:"status"`
	Reason   string `json:"reason,omitempty"`
}

func (t *Transmitter) readStatus(w http.ResponseWriter, r *http.Request) {
	st, ok := t.lookup(w, r, r.URL.Query().Get("stream_id"), false)
	if ok {
		writeJSON(w, http.StatusOK, streamStatus{StreamID: st.ID,
			Status: st.Status, Reason: st.StatusReason})
	}
}

func (t *Transmitter) updateStatus(w http.ResponseWriter, r *http.Request) {
	var req streamStatus
	if !decode(w, r, &req) {
		return
	}
	switch req.Status {
	case store.StreamEnabled, store.StreamPaused, store.StreamDisabled:
	default:
		problem(w, http.StatusBadRequest, "invalid_request",
			"status: "+quote(req.Status)+" is not enabled, paused or disabled")
		return
	}
	st, ok := t.update(w, r, req.StreamID, false, func(st *store.Stream) error {
		st.Status, st.StatusReason = req.Status, req.Reason
		return nil
	})
	if !ok {
		return
	}
	t.log.Info("stream status changed", "stream_id", st.ID, "status", st.Status)
	t.audit(r, EventStreamStatus, st)
	t.queued.notify() // an enabled stream's held events may go now
	writeJSON(w, http.StatusOK, req)
}

// subjectRequest adds or removes a subject (SSF 1.0 sections 8.1.3.2
// and 8.1.3.3).
type subjectRequest struct {
	StreamID string          `json:"stream_id"`
	Subject  json.RawMessage `json:"subject"`
	Verified *bool           `json:"verified,omitempty"`
}

func (t *Transmitter) addSubject(w http.ResponseWriter, r *http.Request) {
	t.changeSubject(w, r, false)
}

func (t *Transmitter) removeSubject(w http.ResponseWriter, r *http.Request) {
	t.changeSubject(w, r, true)
}

// changeSubject removes a subject from the stream's exclusions (add) or
// puts it there (remove): every subject is in a stream by default.
func (t *Transmitter) changeSubject(w http.ResponseWriter, r *http.Request, remove bool) {
	var req subjectRequest
	if !decode(w, r, &req) {
		return
	}
	if err := validSubject(req.Subject); err != nil {
		problem(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	sub := canonical(req.Subject)
	st, ok := t.update(w, r, req.StreamID, false, func(st *store.Stream) error {
		st.Excluded = slices.DeleteFunc(st.Excluded, func(x json.RawMessage) bool {
			return bytes.Equal(canonical(x), sub)
		})
		if remove {
			st.Excluded = append(st.Excluded, sub)
		}
		return nil
	})
	if !ok {
		return
	}
	t.audit(r, EventStreamSubject, st)
	if remove {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// verifyRequest asks for a verification event (SSF 1.0 section 8.1.4.2).
type verifyRequest struct {
	StreamID string `json:"stream_id"`
	State    string `json:"state,omitempty"`
}

func (t *Transmitter) verify(w http.ResponseWriter, r *http.Request) {
	var req verifyRequest
	if !decode(w, r, &req) {
		return
	}
	st, ok := t.lookup(w, r, req.StreamID, false)
	if !ok {
		return
	}
	if err := t.Verify(r.Context(), st, req.State); err != nil {
		t.internal(w, "queue verification", err)
		return
	}
	t.audit(r, EventStreamVerified, st)
	w.WriteHeader(http.StatusNoContent)
}
