package api

import (
	"context"
	"slices"

	"github.com/killswitch-dev/killswitch/store"
)

// ListActions lists the outbox's actions in the caller's scope, in the
// order they were created.
func (s *Server) ListActions(ctx context.Context,
	req ListActionsRequestObject) (ListActionsResponseObject, error) {
	p := req.Params
	c, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	f, limit, err := actionQuery(p, c)
	if err != nil {
		return nil, err
	}
	sc := newScope(s.st, c)
	as, err := collect(limit+1, func(after *store.Action) ([]store.Action, error) {
		if after != nil {
			f.AfterID = after.ID
		}
		return s.st.ListActions(ctx, f)
	}, func(a store.Action) (bool, error) {
		return sc.target(ctx, a.TargetType, a.TargetID)
	})
	if err != nil {
		return nil, err
	}
	as, next := trim(as, limit, listOf("actions", req.Params),
		func(a store.Action) cursor {
			return cursor{ID: a.ID}
		})
	page := ListActions200JSONResponse{Items: make([]Action, len(as)),
		NextCursor: next}
	for i, a := range as {
		page.Items[i] = action(a)
	}
	return page, nil
}

// actionQuery checks the parameters of ListActions and returns the store
// filter they make, narrowed to the caller's principal kinds.
func actionQuery(p ListActionsParams, c Caller) (store.ActionFilter, int, error) {
	switch {
	case p.State != "" && !p.State.Valid():
		return store.ActionFilter{}, 0, badParam("state", string(p.State),
			"not one of "+enumList(ActionStatePending,
				ActionStateAwaitingApproval, ActionStateRunning,
				ActionStateDone, ActionStateFailed, ActionStateSkipped))
	case p.Kind != "" && !p.Kind.Valid():
		return store.ActionFilter{}, 0, badParam("kind", string(p.Kind),
			"not one of "+enumList(ActionKindRevokeSessions,
				ActionKindRevokeCredential, ActionKindDisablePrincipal,
				ActionKindLock, ActionKindNotify))
	}
	limit, err := pageLimit(p.Limit)
	if err == nil {
		err = checkRange("created", p.CreatedAfter, p.CreatedBefore)
	}
	if err != nil {
		return store.ActionFilter{}, 0, err
	}
	cur, err := decodeCursor(p.Cursor, listOf("actions", p))
	if err != nil {
		return store.ActionFilter{}, 0, err
	}
	return store.ActionFilter{State: string(p.State), Kind: string(p.Kind),
		SignalID: p.Signal, TargetType: p.TargetType, TargetID: p.Target,
		PrincipalKinds: slices.Clone(c.Scopes.PrincipalKinds),
		Created:        timeRange(p.CreatedAfter, p.CreatedBefore),
		AfterID:        cur.ID, Limit: limit + 1}, limit, nil
}

// GetAction returns one action in the caller's scope.
func (s *Server) GetAction(ctx context.Context,
	req GetActionRequestObject) (GetActionResponseObject, error) {
	c, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	a, err := s.st.GetAction(ctx, req.ID)
	if err != nil {
		return nil, err
	}
	ok, err := newScope(s.st, c).target(ctx, a.TargetType, a.TargetID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, problem(ProblemCodeNotFound, "no such record")
	}
	return GetAction200JSONResponse(action(a)), nil
}

// action is a as the API shows it, with its approval when it waited or
// waits for one.
func action(a store.Action) Action {
	out := Action{ID: a.ID, IdempotencyKey: a.IdempotencyKey,
		SignalID: a.SignalID, Kind: ActionKind(a.Kind),
		TargetType: a.TargetType, TargetID: a.TargetID, Scope: a.Scope,
		Reason: a.Reason, Policy: a.Policy,
		PolicyRevision: a.PolicyRevision, Params: JSON(a.Params),
		State: ActionState(a.State), Attempts: a.Attempts,
		LastError: a.LastError, Result: JSON(a.Result),
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt,
		PrincipalKind: PrincipalKind(a.PrincipalKind)}
	if a.State == store.ActionAwaitingApproval || a.Verdict != nil {
		out.Approval = Approval{Deadline: a.ApprovalDeadline,
			OnTimeout: ApprovalOnTimeout(a.OnTimeout)}
		if v := a.Verdict; v != nil {
			out.Approval.Verdict = Verdict{Verdict: VerdictVerdict(v.Verdict),
				By: v.By, At: v.At, Reason: v.Reason}
		}
	}
	return out
}
