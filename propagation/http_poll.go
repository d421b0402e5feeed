package propagation

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// pollRequest is an RFC 8936 poll: acknowledge what was received, report
// SETs that could not be processed, ask for more.
type pollRequest struct {
	Ack     []string `json:"ack,omitempty"`
	SetErrs map[string]struct {
		Err         string `json:"err"`
		Description string `json:"description"`
	} `json:"setErrs,omitempty"`
	// MaxEvents is how many SETs to return; 0 only acknowledges.
	MaxEvents         *int `json:"maxEvents,omitempty"`
	ReturnImmediately bool `json:"returnImmediately,omitempty"`
}

// pollResponse holds SETs by jti (RFC 8936 section 2.5).
type pollResponse struct {
	Sets          map[string]string `json:"sets"`
	MoreAvailable bool              `json:"moreAvailable"`
}

// Poll limits: what a poll that names no maxEvents gets, and the most it
// may ask for.
const (
	defaultMaxEvents = 100
	maxMaxEvents     = 1000
)

func (t *Transmitter) poll(w http.ResponseWriter, r *http.Request) {
	var req pollRequest
	if !decode(w, r, &req) {
		return
	}
	st, ok := t.lookup(w, r, r.PathValue("id"), false)
	if !ok {
		return
	}
	if st.Method != store.DeliveryPoll {
		problem(w, http.StatusBadRequest, "invalid_request",
			"stream "+quote(st.ID)+" is pushed to, not polled")
		return
	}
	if err := req.check(); err != nil {
		problem(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	if err := t.acknowledge(r.Context(), st.ID, req); err != nil {
		t.internal(w, "acknowledge SETs", err)
		return
	}
	n := defaultMaxEvents
	if req.MaxEvents != nil {
		n = min(*req.MaxEvents, maxMaxEvents)
	}
	resp, err := t.collect(r.Context(), st.ID, n, !req.ReturnImmediately)
	if err != nil {
		t.internal(w, "poll SETs", err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// check refuses a poll that cannot be meant, before it changes
// anything: a negative maxEvents, a blank jti, an error report without
// its error code (RFC 8936 section 2.4).
func (req pollRequest) check() error {
	if req.MaxEvents != nil && *req.MaxEvents < 0 {
		return fmt.Errorf("maxEvents: %d is negative", *req.MaxEvents)
	}
	for i, id := range req.Ack {
		if strings.TrimSpace(id) == "" {
			return fmt.Errorf("ack[%d]: a blank jti", i)
		}
	}
	for id, e := range req.SetErrs {
		if strings.TrimSpace(id) == "" {
			return fmt.Errorf("setErrs: a blank jti")
		}
		if strings.TrimSpace(e.Err) == "" {
			return fmt.Errorf("setErrs[%s].err: required", quote(id))
		}
	}
	return nil
}

// acknowledge finishes the acknowledged SETs and those the receiver
// reported errors for.
func (t *Transmitter) acknowledge(ctx context.Context, streamID string,
	req pollRequest) error {
	now := t.clock()
	if len(req.Ack) > 0 {
		n, err := t.store.FinishDeliveries(ctx, streamID, req.Ack,
			store.DeliveryDone, "", now)
		if err != nil {
			return err
		}
		t.metrics.outcome(store.DeliveryPoll, "acknowledged", n)
	}
	for id, e := range req.SetErrs {
		n, err := t.store.FinishDeliveries(ctx, streamID, []string{id},
			store.DeliveryFailed, "receiver: "+e.Err+": "+e.Description, now)
		if err != nil {
			return err
		}
		t.metrics.outcome(store.DeliveryPoll, "receiver_error", n)
	}
	return nil
}

// collect claims up to n SETs of the stream, waiting up to PollWait
// for one when wait is set and none is ready. A SET handed out and not
// acknowledged is offered again after PollLease.
func (t *Transmitter) collect(ctx context.Context, streamID string, n int,
	wait bool) (pollResponse, error) {
	resp := pollResponse{Sets: map[string]string{}}
	if n == 0 {
		return resp, nil
	}
	deadline := time.NewTimer(t.cfg.PollWait)
	defer deadline.Stop()
	for {
		queued := t.Queued()
		ds, err := t.store.ClaimDeliveries(ctx, store.DeliveryClaim{
			Owner: "poll", StreamID: streamID, Now: t.clock(),
			Lease: t.cfg.PollLease, Limit: n + 1})
		if err != nil {
			return resp, err
		}
		if len(ds) > 0 || !wait {
			return t.hand(ctx, streamID, ds, n)
		}
		select {
		case <-queued:
		case <-deadline.C:
			wait = false
		case <-ctx.Done():
			return resp, nil
		}
	}
}

// hand returns the first n claimed SETs and puts a further one back,
// which says more are available.
func (t *Transmitter) hand(ctx context.Context, streamID string,
	ds []store.Delivery, n int) (pollResponse, error) {
	resp := pollResponse{Sets: map[string]string{}}
	if len(ds) > n {
		extra := ds[n]
		err := t.store.RetryDelivery(ctx, streamID, extra.ID, extra.LastError, time.Time{})
		if err != nil {
			return resp, err
		}
		ds, resp.MoreAvailable = ds[:n], true
	}
	for _, d := range ds {
		resp.Sets[d.ID] = string(d.Body)
	}
	return resp, nil
}
