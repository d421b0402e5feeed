package api

import (
	"context"
	"strings"

	"github.com/killswitch-dev/killswitch/engine"
)

// PlaceLock places a lock as the caller.
func (s *Server) PlaceLock(ctx context.Context,
	req PlaceLockRequestObject) (PlaceLockResponseObject, error) {
	r, c, err := s.responder(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	if !b.TargetType.Valid() {
		return nil, &FieldError{"target_type", string(b.TargetType),
			"not one of " + strings.Join(engine.LockTargets, ", ")}
	}
	l, err := r.PlaceLock(ctx, c, engine.LockRequest{
		TargetType: string(b.TargetType), Target: b.Target,
		Reason: b.Reason, Expires: b.ExpiresAt})
	if err != nil {
		return nil, opsProblem(err, ProblemCodeInvalidBody,
			string(b.TargetType)+" "+b.Target)
	}
	s.ops.changed(ctx)
	return PlaceLock201JSONResponse(lock(l, s.now())), nil
}

// LiftLock lifts a lock as the caller.
func (s *Server) LiftLock(ctx context.Context,
	req LiftLockRequestObject) (LiftLockResponseObject, error) {
	r, c, err := s.responder(ctx)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.Params.Reason) == "" {
		return nil, badParam("reason", req.Params.Reason,
			"required: it goes to the audit trail")
	}
	l, err := r.LiftLock(ctx, c, req.ID, req.Params.Reason)
	if err != nil {
		return nil, opsProblem(err, ProblemCodeConflict, "lock "+req.ID)
	}
	s.ops.changed(ctx)
	return LiftLock200JSONResponse(lock(l, s.now())), nil
}
