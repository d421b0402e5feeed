package console

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/killswitch-dev/killswitch/store"
)

// overviewData is the live state the overview shows.
type overviewData struct {
	Counts []store.SessionCount
	// Total counts the live sessions in the caller's scope; Hidden
	// those outside it.
	Total, Hidden int
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
	d := overviewData{RefreshMs: c.cfg.Refresh.Milliseconds(),
		DeadLetters: c.deadLetters()}
	counts, err := c.st.CountSessions(ctx, store.SessionFilter{
		Status: store.StatusActive})
	if err != nil {
		c.failErr(w, r, who, "count sessions", err)
		return
	}
	for _, n := range counts {
		if !who.InScope(string(n.PrincipalKind), n.Provider) {
			d.Hidden += n.Count
			continue
		}
		d.Counts = append(d.Counts, n)
		d.Total += n.Count
	}
	if err := c.loadOutbox(ctx, &d); err != nil {
		c.failErr(w, r, who, "read the outbox", err)
		return
	}
	if d.Signals, err = c.recentSignals(ctx); err != nil {
		c.failErr(w, r, who, "read recent signals", err)
		return
	}
	c.render(w, r, who, http.StatusOK, "overview", "Overview", d)
}

func (c *Console) loadOutbox(ctx context.Context, d *overviewData) error {
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
		State: store.ActionAwaitingApproval, Limit: 10})
	return err
}

func (c *Console) recentSignals(ctx context.Context) ([]signalRow, error) {
	recs, err := c.st.ListSignals(ctx, recentSignals)
	if err != nil {
		return nil, err
	}
	rows := make([]signalRow, 0, len(recs))
	for _, rec := range recs {
		acts, err := c.st.ListActions(ctx, store.ActionFilter{SignalID: rec.ID})
		if err != nil {
			return nil, err
		}
		rows = append(rows, signalRow{Rec: rec, Summary: summarize(rec),
			Actions: acts})
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
