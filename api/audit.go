package api

import (
	"context"
	"errors"
	"strconv"

	"github.com/killswitch-dev/killswitch/store"
)

// ListAudit reads the audit trail in sequence order, the entries about
// what is in the caller's scope.
func (s *Server) ListAudit(ctx context.Context,
	req ListAuditRequestObject) (ListAuditResponseObject, error) {
	p := req.Params
	c, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	limit, err := pageLimit(p.Limit)
	if err != nil {
		return nil, err
	}
	f, err := auditFilter(p, limit)
	if err != nil {
		return nil, err
	}
	sc := newScope(s.st, c)
	es, err := collect(limit+1, func(after *store.AuditEntry) ([]store.AuditEntry, error) {
		if after != nil {
			f.AfterSeq = after.Seq
		}
		return s.st.ListAudit(ctx, f)
	}, func(e store.AuditEntry) (bool, error) {
		if p.Event != "" && e.Event != p.Event {
			return false, nil
		}
		return sc.subject(ctx, e.Subject)
	})
	if err != nil {
		return nil, err
	}
	es, next := trim(es, limit, listOf("audit", p),
		func(e store.AuditEntry) cursor {
			return cursor{ID: strconv.FormatInt(e.Seq, 10)}
		})
	page := ListAudit200JSONResponse{Items: make([]AuditEntry, len(es)),
		NextCursor: next}
	for i, e := range es {
		page.Items[i] = AuditEntry{Seq: e.Seq, Time: e.Time,
			Actor: e.Actor, Event: e.Event, Subject: e.Subject,
			Details: JSON(e.Details), PrevHash: e.PrevHash, Hash: e.Hash}
	}
	return page, nil
}

// auditFilter is the store filter of ListAudit's parameters; the cursor
// holds the sequence number to go on after.
func auditFilter(p ListAuditParams, limit int) (store.AuditFilter, error) {
	f := store.AuditFilter{AfterSeq: p.AfterSeq, Subject: p.Subject,
		Limit: limit + 1}
	if p.AfterSeq < 0 {
		return f, badParam("after_seq", strconv.FormatInt(p.AfterSeq, 10),
			"not a sequence number (0 or more)")
	}
	cur, err := decodeCursor(p.Cursor, listOf("audit", p))
	if err != nil || cur.ID == "" {
		return f, err
	}
	seq, err := strconv.ParseInt(cur.ID, 10, 64)
	if err != nil {
		return f, badParam("cursor", p.Cursor, "not a cursor this server gave")
	}
	f.AfterSeq = max(f.AfterSeq, seq)
	return f, nil
}

// verifyBatch is how many entries VerifyAudit reads at a time.
const verifyBatch = 1000

// VerifyAudit checks the whole chain, a batch at a time.
func (s *Server) VerifyAudit(ctx context.Context,
	_ VerifyAuditRequestObject) (VerifyAuditResponseObject, error) {
	out := VerifyAudit200JSONResponse{OK: true}
	prev, seq := store.GenesisHash, int64(0)
	for {
		es, err := s.st.ListAudit(ctx, store.AuditFilter{AfterSeq: seq,
			Limit: verifyBatch})
		if err != nil {
			return nil, err
		}
		last, err := store.VerifyChain(es, prev, seq)
		var ce *store.ChainError
		if errors.As(err, &ce) {
			out.OK, out.BrokenSeq, out.Reason = false, ce.Seq, ce.Reason
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out.Entries += int64(len(es))
		if len(es) > 0 {
			prev, seq = last, es[len(es)-1].Seq
			out.LastSeq, out.LastHash = seq, prev
		}
		if len(es) < verifyBatch {
			return out, nil
		}
	}
}
