package api

import (
	"context"
)

// ApproveAction lets a held action run, as the caller.
func (s *Server) ApproveAction(ctx context.Context,
	req ApproveActionRequestObject) (ApproveActionResponseObject, error) {
	r, c, err := s.responder(ctx)
	if err != nil {
		return nil, err
	}
	a, err := r.Approve(ctx, c, req.ID, req.Body.Reason)
	if err != nil {
		return nil, opsProblem(err, ProblemCodeConflict, "action "+req.ID)
	}
	return ApproveAction200JSONResponse(action(a)), nil
}

// RejectAction skips a held action, as the caller.
func (s *Server) RejectAction(ctx context.Context,
	req RejectActionRequestObject) (RejectActionResponseObject, error) {
	r, c, err := s.responder(ctx)
	if err != nil {
		return nil, err
	}
	a, err := r.Reject(ctx, c, req.ID, req.Body.Reason)
	if err != nil {
		return nil, opsProblem(err, ProblemCodeConflict, "action "+req.ID)
	}
	return RejectAction200JSONResponse(action(a)), nil
}
