package console

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/killswitch-dev/killswitch/api"
	"github.com/killswitch-dev/killswitch/store"
)

// overviewData is the live state the overview shows.
type overviewData struct {
	Counts []store.SessionCount
	// Total counts the live sessions in the caller's scope; those
	// outside it are not counted, so as to tell nothing of them.
	Total         int
	Signals       []signalRow
	Awaiting      []store.Action
	AwaitingCount int
	// Pending and Running are the outbox depth; Failed the actions
	// that gave up.
	Pending, Running, Failed int
	// DeadLetters is the dead-letter count since start, or -1 when not
	// known.
	DeadLetters int
	RefreshMs   int64
	// Scoped is set for a caller with scopes, who sees neither the
	// outbox depth nor the dead letters: they span everyone.
	Scoped bool
}

// signalRow is one recent signal with what was decided about it.
type signalRow struct {
	Rec     store.SignalRecord
	Summary signalSummary
	Actions []store.Action
}

// signalSummary is the part of a normalised signal the console shows:
// never the payload, which a careless source may have filled with a
// secret.
type signalSummary struct {
	Type     string `json:"type"`
	Summary  string `json:"summary"`
	Subjects []struct {
		Type  string `json:"type"`
		Value string `json:"value"`
	} `json:"subjects"`
}

const recentSignals = 10

func (c *Console) overview(w http.ResponseWriter, r *http.Request, who Caller) {
	ctx := r.Context()
	sc := who.Scope(c.st)
	d := overviewData{RefreshMs: c.cfg.Refresh.Milliseconds(),
		DeadLetters: -1, Scoped: !sc.Open()}
	var err error
	if d.Total, d.Counts, err = c.liveCounts(ctx, who); err != nil {
		c.failErr(w, r, who, "count sessions", err)
		return
	}
	if err := c.loadOutbox(ctx, sc, &d); err != nil {
		c.failErr(w, r, who, "read the outbox", err)
		return
	}
	if d.Signals, err = c.recentSignals(ctx, sc); err != nil {
		c.failErr(w, r, who, "read recent signals", err)
		return
	}
	c.render(w, r, who, http.StatusOK, "overview", "Overview", d)
}

// liveCounts counts the live sessions in the caller's scope by kind and
// provider, and those outside it.
func (c *Console) liveCounts(ctx context.Context, who Caller) (total int,
	in []store.SessionCount, err error) {
	counts, err := c.st.CountSessions(ctx, store.SessionFilter{
		Status: store.StatusActive})
	if err != nil {
		return 0, nil, err
	}
	for _, n := range counts {
		if who.InScope(string(n.PrincipalKind), n.Provider) {
			in = append(in, n)
			total += n.Count
		}
	}
	return total, in, nil
}

// heldShown is how many held actions the overview lists.
const heldShown = 10

// loadOutbox reads the held actions in scope and, for a caller without
// scopes, the outbox depth and dead letters, which span everyone.
func (c *Console) loadOutbox(ctx context.Context, sc *api.Scope,
	d *overviewData) error {
	if !sc.Open() {
		held, err := c.held(ctx, sc)
		for _, h := range held[:min(len(held), heldShown)] {
			d.Awaiting = append(d.Awaiting, h.Action)
		}
		d.AwaitingCount = len(held)
		return err
	}
	d.DeadLetters = c.deadLetters()
	counts, err := c.st.CountActions(ctx, store.ActionPending,
		store.ActionRunning, store.ActionFailed, store.ActionAwaitingApproval)
	if err != nil {
		return err
	}
	states := map[string]*int{store.ActionPending: &d.Pending,
		store.ActionRunning: &d.Running, store.ActionFailed: &d.Failed,
		store.ActionAwaitingApproval: &d.AwaitingCount}
	for _, n := range counts {
		if p := states[n.State]; p != nil {
			*p += n.Count
		}
	}
	d.Awaiting, err = c.st.ListActions(ctx, store.ActionFilter{
		State: store.ActionAwaitingApproval, Limit: heldShown})
	return err
}

// scannedSignals bounds how many recent signals are read to find those
// in a scoped caller's scope.
const scannedSignals = 200

// recentSignals are the latest signals in scope, with their actions.
func (c *Console) recentSignals(ctx context.Context, sc *api.Scope) ([]signalRow, error) {
	n := recentSignals
	if !sc.Open() {
		n = scannedSignals
	}
	recs, err := c.st.ListSignals(ctx, n)
	if err != nil {
		return nil, err
	}
	rows := make([]signalRow, 0, recentSignals)
	for _, rec := range recs {
		if ok, err := sc.Signal(ctx, rec.ID); err != nil || !ok {
			if err != nil {
				return nil, err
			}
			continue
		}
		acts, err := c.st.ListActions(ctx, store.ActionFilter{SignalID: rec.ID})
		if err != nil {
			return nil, err
		}
		rows = append(rows, signalRow{Rec: rec, Summary: summarize(rec),
			Actions: acts})
		if len(rows) == recentSignals {
			break
		}
	}
	return rows, nil
}

// summarize reads the summary of a stored signal; an operator's request
// or an unreadable record has none.
func summarize(rec store.SignalRecord) signalSummary {
	var s signalSummary
	_ = json.Unmarshal(rec.Signal, &s)
	return s
}

// deadLetters sums killswitch_dlq_messages_total, or -1 when there is
// no registry to read. The counter has no series until a first message
// is dead-lettered, so a registry without it counts none.
func (c *Console) deadLetters() int {
	if c.cfg.Gatherer == nil {
		return -1
	}
	mfs, err := c.cfg.Gatherer.Gather()
	if err != nil {
		c.log.Warn("read the dead-letter count", "err", err)
		return -1
	}
	for _, mf := range mfs {
		if mf.GetName() != "killswitch_dlq_messages_total" {
			continue
		}
		total := 0.0
		for _, m := range mf.GetMetric() {
			total += m.GetCounter().GetValue()
		}
		return int(total)
	}
	return 0
}
