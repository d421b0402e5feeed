package console

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/killswitch-dev/killswitch/api"
	"github.com/killswitch-dev/killswitch/duration"
	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/store"
)

// lockRow is a lock with its state at the time of the page.
type lockRow struct {
	store.Lock
	// State is "in force", "expired" or "lifted".
	State string
}

func newLockRow(l store.Lock, now time.Time) lockRow {
	switch {
	case !l.LiftedAt.IsZero():
		return lockRow{l, "lifted"}
	case l.InForce(now):
		return lockRow{l, "in force"}
	}
	return lockRow{l, "expired"}
}

func lockTargetsOf() []string { return slices.Clone(engine.LockTargets) }

// lockForm is the form placing a lock, echoed back when it is refused.
type lockForm struct {
	TargetType, Target, Reason, Expires string
}

type locksData struct {
	All     bool
	Locks   []lockRow
	Targets []string
	Form    lockForm
	Error   string
	Field   string
}

func (c *Console) locks(w http.ResponseWriter, r *http.Request, who Caller) {
	d := locksData{All: r.URL.Query().Get("all") == "1",
		Form: lockForm{TargetType: "principal", Expires: "24h"}}
	c.renderLocks(w, r, who, http.StatusOK, d)
}

func (c *Console) renderLocks(w http.ResponseWriter, r *http.Request,
	who Caller, status int, d locksData) {
	now := c.cfg.Clock()
	at := now
	if d.All {
		at = time.Time{}
	}
	ls, err := c.st.ListLocks(r.Context(), at)
	if err != nil {
		c.failErr(w, r, who, "list locks", err)
		return
	}
	slices.Reverse(ls)
	sc := who.Scope(c.st)
	for _, l := range ls {
		ok, err := sc.Target(r.Context(), l.TargetType, l.Target)
		if err != nil {
			c.failErr(w, r, who, "check scope of locks", err)
			return
		}
		if ok {
			d.Locks = append(d.Locks, newLockRow(l, now))
		}
	}
	d.Targets = lockTargetsOf()
	c.render(w, r, who, status, "locks", "Locks", d)
}

func (c *Console) placeLock(w http.ResponseWriter, r *http.Request, who Caller) {
	f := lockForm{TargetType: r.PostFormValue("target_type"),
		Target:  strings.TrimSpace(r.PostFormValue("target")),
		Reason:  strings.TrimSpace(r.PostFormValue("reason")),
		Expires: strings.TrimSpace(r.PostFormValue("expires"))}
	refuse := func(status int, field, msg string) {
		c.renderLocks(w, r, who, status, locksData{Form: f, Field: field,
			Error: msg})
	}
	now := c.cfg.Clock()
	expires, err := parseExpiry(f.Expires, now)
	if err != nil {
		refuse(http.StatusBadRequest, "expires", "Expires: "+err.Error())
		return
	}
	if f.Target == "" || !slices.Contains(engine.LockTargets, f.TargetType) {
		refuse(http.StatusBadRequest, "target", "Target: name what to lock.")
		return
	}
	sc := who.Scope(c.st)
	err = c.targetInScope(r.Context(), sc, f.TargetType, f.Target)
	if err != nil {
		status, msg := scopeProblem(sc, f.TargetType, f.Target, err)
		refuse(status, "target", msg)
		return
	}
	l, err := engine.PlaceLock(r.Context(), c.st, engine.LockRequest{
		TargetType: f.TargetType, Target: f.Target, Reason: f.Reason,
		Operator: who.Name(), Expires: expires}, now)
	if errors.Is(err, engine.ErrBadRequest) {
		refuse(http.StatusBadRequest, "reason", err.Error())
		return
	}
	if err != nil {
		c.failErr(w, r, who, "place lock", err)
		return
	}
	c.log.Info("lock placed", "caller", who.Name(), "lock_id", l.ID,
		"target", l.TargetType+":"+l.Target)
	back := localPath(r.PostFormValue("back"))
	if back == "/" {
		back = "/locks"
	}
	c.redirect(w, r, back, fmt.Sprintf("locked %s %s (lock %s).",
		l.TargetType, l.Target, l.ID))
}

// scopeProblem is the status and message of a failed scope check. A
// record outside the scope is answered as one the registry does not
// hold, so that a scoped caller learns nothing of it.
func scopeProblem(sc *api.Scope, typ, id string, err error) (int, string) {
	record := typ == "principal" || typ == "credential" || typ == "session"
	switch {
	case errors.Is(err, errEveryProvider):
		return http.StatusForbidden, "Target: " + err.Error() + "."
	case errors.Is(err, store.ErrNotFound),
		errors.Is(err, errScope) && record:
		return http.StatusBadRequest, fmt.Sprintf("Target: %s %q is not "+
			"in the registry%s.", typ, id, withinScope(sc))
	case errors.Is(err, errScope):
		return http.StatusForbidden, "Target: " + err.Error() + "."
	}
	return http.StatusInternalServerError, "Target: check scope: " + err.Error()
}

// parseExpiry reads when a lock ends: a positive duration from now or
// an RFC 3339 time after now; empty is never. A time not after now is
// refused here, Go's zero time among them, which would otherwise read as
// never.
func parseExpiry(v string, now time.Time) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if d, err := duration.Parse(v); err == nil {
		if d <= 0 {
			return time.Time{}, fmt.Errorf("%q is not a positive duration", v)
		}
		return now.Add(d), nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither a duration (24h, 7d) "+
			"nor an RFC 3339 time", v)
	}
	if !t.After(now) {
		return time.Time{}, fmt.Errorf("%q is not after now", v)
	}
	return t, nil
}

func (c *Console) liftLock(w http.ResponseWriter, r *http.Request, who Caller) {
	id := r.PathValue("id")
	all, err := c.st.ListLocks(r.Context(), time.Time{})
	if err != nil {
		c.failErr(w, r, who, "list locks", err)
		return
	}
	sc := who.Scope(c.st)
	i := slices.IndexFunc(all, func(l store.Lock) bool { return l.ID == id })
	if i >= 0 {
		err = c.targetInScope(r.Context(), sc, all[i].TargetType,
			all[i].Target)
	}
	if i < 0 || errors.Is(err, errScope) || errors.Is(err, store.ErrNotFound) {
		// Out of scope is answered as unknown: it tells nothing.
		c.fail(w, r, who, http.StatusNotFound, "There is no lock "+id+
			withinScope(sc)+".")
		return
	}
	if err != nil {
		c.failErr(w, r, who, "check the lock's scope", err)
		return
	}
	l := all[i]
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	l, err = engine.LiftLock(r.Context(), c.st, id, who.Name(), reason,
		c.cfg.Clock())
	switch {
	case errors.Is(err, engine.ErrBadRequest):
		c.fail(w, r, who, http.StatusBadRequest, "Reason: required to "+
			"lift a lock; it goes to the audit trail.")
		return
	case errors.Is(err, store.ErrInvalid):
		c.fail(w, r, who, http.StatusConflict, "Lock "+id+" is not in "+
			"force any more: "+err.Error())
		return
	case err != nil:
		c.failErr(w, r, who, "lift lock", err)
		return
	}
	c.log.Info("lock lifted", "caller", who.Name(), "lock_id", l.ID)
	c.redirect(w, r, "/locks", fmt.Sprintf("lifted lock %s on %s %s.",
		l.ID, l.TargetType, l.Target))
}
