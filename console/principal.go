package console

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/killswitch-dev/killswitch/api"
	"github.com/killswitch-dev/killswitch/store"
)

// principalData is everything the principal page shows.
type principalData struct {
	P           store.Principal
	Aliases     []store.Alias
	Sessions    []sessionRow
	Live        int
	Credentials []credentialRow
	Locks       []lockRow
	Timeline    []timelineEntry
	LockTargets []string
}

// credentialRow is a credential with its age and exposures.
type credentialRow struct {
	store.Credential
	AgeDays   int
	Exposures []store.ExposureRecord
	// ExposedDays is how long ago it was first exposed; -1 never.
	ExposedDays int
}

// timelineEntry is one action on the principal, its sessions or its
// credentials, with the signal that asked for it.
type timelineEntry struct {
	At      time.Time
	Action  store.Action
	Signal  *store.SignalRecord
	Summary signalSummary
}

// timelineLength bounds the timeline to the newest entries.
const timelineLength = 100

func (c *Console) principal(w http.ResponseWriter, r *http.Request, who Caller) {
	ctx := r.Context()
	id := r.PathValue("id")
	sc := who.Scope(c.st)
	p, err := c.st.GetPrincipal(ctx, id)
	visible := err == nil
	if visible {
		visible, err = sc.Visible(ctx, p)
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		c.failErr(w, r, who, "read principal", err)
		return
	}
	if !visible { // out of scope is answered as unknown: it tells nothing
		c.fail(w, r, who, http.StatusNotFound, "There is no principal "+
			"with id "+id+" in the registry"+withinScope(sc)+".")
		return
	}
	d := principalData{P: p, LockTargets: lockTargetsOf()}
	if err := c.fillPrincipal(ctx, who, &d); err != nil {
		c.failErr(w, r, who, "read principal "+id, err)
		return
	}
	c.render(w, r, who, http.StatusOK, "principal", "Principal "+p.ID, d)
}

func (c *Console) fillPrincipal(ctx context.Context, who Caller,
	d *principalData) error {
	all, err := c.st.ListAliases(ctx, d.P.ID)
	if err != nil {
		return err
	}
	sc := who.Scope(c.st)
	for _, a := range all { // not those of a credential out of scope
		ok, err := sc.Alias(ctx, a)
		if err != nil {
			return err
		}
		if ok {
			d.Aliases = append(d.Aliases, a)
		}
	}
	ses, err := c.st.ListSessions(ctx, store.SessionFilter{PrincipalID: d.P.ID})
	if err != nil {
		return err
	}
	if d.Sessions, err = c.scoped(ctx, who, ses); err != nil {
		return err
	}
	for _, s := range d.Sessions {
		if s.Status == store.StatusActive {
			d.Live++
		}
	}
	if d.Credentials, err = c.credentials(ctx, who, d.P); err != nil {
		return err
	}
	if d.Locks, err = c.principalLocks(ctx, sc, d); err != nil {
		return err
	}
	d.Timeline, err = c.timeline(ctx, sc, d)
	return err
}

// credentials are the principal's credentials in the caller's scope,
// with their age and exposures.
func (c *Console) credentials(ctx context.Context, who Caller,
	p store.Principal) ([]credentialRow, error) {
	pid := p.ID
	creds, err := c.st.ListCredentials(ctx, store.CredentialFilter{PrincipalID: pid})
	if err != nil {
		return nil, err
	}
	exposed, err := c.st.ListExposedCredentials(ctx,
		store.ExposedFilter{PrincipalID: pid})
	if err != nil {
		return nil, err
	}
	ledger := map[string][]store.ExposureRecord{}
	for _, e := range exposed {
		ledger[e.Credential.ID] = e.Exposures
	}
	now := c.cfg.Clock()
	rows := make([]credentialRow, 0, len(creds))
	for _, cr := range creds {
		if !who.InScope(string(p.Kind), cr.Store) {
			continue
		}
		row := credentialRow{Credential: cr, Exposures: ledger[cr.ID],
			AgeDays: days(now, cr.CreatedAt), ExposedDays: -1}
		if cr.Exposure != nil {
			row.ExposedDays = days(now, cr.Exposure.At)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// days is how many whole days before now t was.
func days(now, t time.Time) int {
	if t.IsZero() {
		return 0
	}
	return int(now.Sub(t) / (24 * time.Hour))
}

// principalLocks are the locks, in force or not, on the principal or
// one of its credentials, newest first.
func (c *Console) principalLocks(ctx context.Context, sc *api.Scope,
	d *principalData) ([]lockRow, error) {
	all, err := c.st.ListLocks(ctx, time.Time{})
	if err != nil {
		return nil, err
	}
	creds := map[string]bool{}
	for _, cr := range d.Credentials {
		creds[cr.ID] = true
	}
	now := c.cfg.Clock()
	var out []lockRow
	for _, l := range all {
		mine := (l.TargetType == "principal" && l.Target == d.P.ID) ||
			(l.TargetType == "credential" && creds[l.Target])
		if !mine {
			continue
		}
		ok, err := sc.Target(ctx, l.TargetType, l.Target)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, newLockRow(l, now))
		}
	}
	slices.Reverse(out)
	return out, nil
}

func (c *Console) timeline(ctx context.Context, sc *api.Scope,
	d *principalData) ([]timelineEntry, error) {
	acts, err := c.principalActions(ctx, d)
	if err != nil {
		return nil, err
	}
	if acts, err = keepActions(ctx, sc, acts); err != nil {
		return nil, err
	}
	slices.SortStableFunc(acts, func(a, b store.Action) int {
		return b.CreatedAt.Compare(a.CreatedAt)
	})
	acts = acts[:min(len(acts), timelineLength)]
	signals := map[string]*store.SignalRecord{}
	out := make([]timelineEntry, 0, len(acts))
	for _, a := range acts {
		e := timelineEntry{At: a.CreatedAt, Action: a}
		if a.SignalID != "" {
			var err error
			if e.Signal, err = c.signal(ctx, signals, a.SignalID); err != nil {
				return nil, err
			}
			if e.Signal != nil {
				e.Summary = summarize(*e.Signal)
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// principalActions are the actions on the principal, its credentials
// and its sessions, and those that revoked them (an operator's
// termination of a set of sessions names no one target).
func (c *Console) principalActions(ctx context.Context,
	d *principalData) ([]store.Action, error) {
	targets := []string{d.P.ID}
	var revokers []string
	for _, cr := range d.Credentials {
		targets = append(targets, cr.ID)
		if r := cr.Revocation; r != nil && r.ActionID != "" {
			revokers = append(revokers, r.ActionID)
		}
	}
	for _, s := range d.Sessions {
		targets = append(targets, s.ID)
		if r := s.Revocation; r != nil && r.ActionID != "" {
			revokers = append(revokers, r.ActionID)
		}
	}
	var acts []store.Action
	seen := map[string]bool{}
	for _, id := range targets {
		as, err := c.st.ListActions(ctx, store.ActionFilter{TargetID: id})
		if err != nil {
			return nil, err
		}
		for _, a := range as {
			seen[a.ID] = true
		}
		acts = append(acts, as...)
	}
	for _, id := range revokers {
		if seen[id] {
			continue
		}
		seen[id] = true
		a, err := c.st.GetAction(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		acts = append(acts, a)
	}
	return acts, nil
}

// signal reads a signal once per page; a signal pruned from the store
// is nil.
func (c *Console) signal(ctx context.Context,
	seen map[string]*store.SignalRecord, id string) (*store.SignalRecord, error) {
	if rec, ok := seen[id]; ok {
		return rec, nil
	}
	rec, err := c.st.GetSignal(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		seen[id] = nil
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	seen[id] = &rec
	return &rec, nil
}
