package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/killswitch-dev/killswitch/api"
	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/store"
)

// heldRow is an action awaiting approval with the signal that asked
// for it.
type heldRow struct {
	store.Action
	Signal  *store.SignalRecord
	Summary signalSummary
}

type approvalsData struct {
	Held []heldRow
}

func (c *Console) approvals(w http.ResponseWriter, r *http.Request, who Caller) {
	held, err := c.held(r.Context(), who.Scope(c.st))
	if err != nil {
		c.failErr(w, r, who, "list held actions", err)
		return
	}
	c.render(w, r, who, http.StatusOK, "approvals", "Approvals",
		approvalsData{Held: held})
}

// held lists the actions awaiting approval that are in scope, with
// their signals.
func (c *Console) held(ctx context.Context, sc *api.Scope) ([]heldRow, error) {
	as, err := c.st.ListActions(ctx, store.ActionFilter{
		State: store.ActionAwaitingApproval})
	if err != nil {
		return nil, err
	}
	if as, err = keepActions(ctx, sc, as); err != nil {
		return nil, err
	}
	seen := map[string]*store.SignalRecord{}
	rows := make([]heldRow, 0, len(as))
	for _, a := range as {
		row := heldRow{Action: a}
		if a.SignalID != "" {
			if row.Signal, err = c.signal(ctx, seen, a.SignalID); err != nil {
				return nil, err
			}
			if row.Signal != nil {
				row.Summary = summarize(*row.Signal)
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func (c *Console) decide(w http.ResponseWriter, r *http.Request, who Caller) {
	id := r.PathValue("id")
	verdict := r.PostFormValue("verdict")
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	decide := map[string]func(context.Context, engine.ApprovalStore, string,
		string, string, time.Time) (store.Action, error){
		"approve": engine.Approve, "reject": engine.Reject}[verdict]
	if decide == nil {
		c.fail(w, r, who, http.StatusBadRequest, fmt.Sprintf("Verdict: "+
			"%q is neither approve nor reject.", short(20, verdict)))
		return
	}
	if reason == "" {
		c.fail(w, r, who, http.StatusBadRequest, "Reason: required to "+
			verdict+" an action; it goes to the audit trail.")
		return
	}
	sc := who.Scope(c.st)
	a, err := c.st.GetAction(r.Context(), id)
	if err == nil {
		err = c.targetInScope(r.Context(), sc, a.TargetType, a.TargetID)
	}
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, errScope) {
		// Out of scope is answered as unknown: it tells nothing.
		c.fail(w, r, who, http.StatusNotFound, "There is no action "+id+
			withinScope(sc)+".")
		return
	}
	if err != nil {
		c.failErr(w, r, who, "read action", err)
		return
	}
	a, err = decide(r.Context(), c.st, id, who.Name(), reason, c.cfg.Clock())
	if errors.Is(err, store.ErrNotAwaiting) {
		c.fail(w, r, who, http.StatusConflict, "Action "+id+" is not "+
			"awaiting approval any more: "+err.Error())
		return
	}
	if err != nil {
		c.failErr(w, r, who, verdict+" action", err)
		return
	}
	c.log.Info("approval decided", "caller", who.Name(), "action_id", a.ID,
		"verdict", a.Verdict.Verdict)
	c.redirect(w, r, "/approvals", fmt.Sprintf("%s action %s (%s %s:%s); "+
		"it is now %s.", a.Verdict.Verdict, a.ID, a.Kind, a.TargetType,
		a.TargetID, a.State))
}
