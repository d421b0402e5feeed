package api

import (
	"context"

	"github.com/killswitch-dev/killswitch/store"
)

// ListSignals lists processed signals in the caller's scope, newest
// first, with their decisions.
func (s *Server) ListSignals(ctx context.Context,
	req ListSignalsRequestObject) (ListSignalsResponseObject, error) {
	p := req.Params
	c, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	limit, err := pageLimit(p.Limit)
	if err == nil {
		err = checkRange("received", p.ReceivedAfter, p.ReceivedBefore)
	}
	if err != nil {
		return nil, err
	}
	cur, err := decodeCursor(p.Cursor, listOf("signals", p))
	if err != nil {
		return nil, err
	}
	f := store.SignalFilter{Format: p.Format, Category: p.Category,
		Severity: p.Severity, AfterID: cur.ID, Limit: limit + 1,
		Received: timeRange(p.ReceivedAfter, p.ReceivedBefore)}
	sc := newScope(s.st, c)
	recs, err := collect(limit+1, func(after *store.SignalRecord) ([]store.SignalRecord, error) {
		if after != nil {
			f.AfterID = after.ID
		}
		return s.st.FindSignals(ctx, f)
	}, func(r store.SignalRecord) (bool, error) {
		return sc.signal(ctx, r.ID)
	})
	if err != nil {
		return nil, err
	}
	recs, next := trim(recs, limit, listOf("signals", p),
		func(r store.SignalRecord) cursor {
			return cursor{ID: r.ID}
		})
	page := ListSignals200JSONResponse{Items: make([]Signal, len(recs)),
		NextCursor: next}
	for i, r := range recs {
		if page.Items[i], err = s.signal(ctx, r); err != nil {
			return nil, err
		}
	}
	return page, nil
}

// GetSignal returns one signal in the caller's scope.
func (s *Server) GetSignal(ctx context.Context,
	req GetSignalRequestObject) (GetSignalResponseObject, error) {
	c, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	r, err := s.st.GetSignal(ctx, req.ID)
	if err != nil {
		return nil, err
	}
	ok, err := newScope(s.st, c).signal(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, problem(ProblemCodeNotFound, "no such record")
	}
	out, err := s.signal(ctx, r)
	return GetSignal200JSONResponse(out), err
}

// signal is r as the API shows it, with the ids of its actions.
func (s *Server) signal(ctx context.Context, r store.SignalRecord) (Signal, error) {
	as, err := s.st.ListActions(ctx, store.ActionFilter{SignalID: r.ID})
	if err != nil {
		return Signal{}, err
	}
	out := Signal{ID: r.ID, DedupKey: r.DedupKey, Format: r.Format,
		Category: r.Category, Severity: r.Severity, Time: r.Time,
		ReceivedAt: r.ReceivedAt, PolicyRevision: r.PolicyRevision,
		Signal: JSON(r.Signal), Decision: JSON(r.Decision),
		ActionIDs: make([]string, len(as))}
	for i, a := range as {
		out.ActionIDs[i] = a.ID
	}
	return out, nil
}
