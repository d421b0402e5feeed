package console

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/store"
)

// confirmData is the confirmation page of a termination.
type confirmData struct {
	Form searchForm
	// Hidden are the filter's fields, carried by the confirming POST.
	Hidden url.Values
	Count  int
	// Match is the digest of the matched sessions' ids, carried by the
	// confirming POST so that it cuts the very sessions confirmed.
	Match string
	Shown []sessionRow
	// RegistryOnly are the providers of matched sessions that no
	// connector serves: their sessions are cut in the registry only.
	RegistryOnly []string
	Reason       string
	// NeedCount is set when the count must be typed to confirm.
	NeedCount bool
	Problem   string
	// Field is the input the problem is about: "reason" or "confirm".
	Field string
}

// terminateTimeout bounds one termination once it is confirmed; it runs
// on even if the browser goes away, so that it is never left half done
// by a closed tab.
const terminateTimeout = 2 * time.Minute

// shownOnConfirm is how many of the matched sessions the confirmation
// lists.
const shownOnConfirm = 50

func (c *Console) confirmTerminate(w http.ResponseWriter, r *http.Request, who Caller) {
	form := readSearch(r.URL.Query())
	rows, status, msg := c.matchLive(r.Context(), who, form)
	if msg != "" {
		c.fail(w, r, who, status, msg)
		return
	}
	c.renderConfirm(w, r, who, http.StatusOK, form, rows, "", "", "")
}

// matchLive finds the live sessions form matches, all in the caller's
// scope. A problem is returned as a status and a message for the
// responder.
func (c *Console) matchLive(ctx context.Context, who Caller,
	form searchForm) ([]sessionRow, int, string) {
	if form.Status != "" && form.Status != store.StatusActive {
		return nil, http.StatusBadRequest, fmt.Sprintf("Status: only "+
			"live (active) sessions can be terminated, not %q.", form.Status)
	}
	f, errs := form.filter()
	if len(errs) > 0 {
		return nil, http.StatusBadRequest, errs[0].Field + ": " + errs[0].Message
	}
	f.Status, f.Limit = store.StatusActive, c.cfg.MaxTerminate+1
	ses, err := c.st.ListSessions(ctx, f)
	if err != nil {
		c.log.Error("list sessions to terminate", "err", err)
		return nil, http.StatusInternalServerError, "list sessions: " + err.Error()
	}
	if len(ses) > c.cfg.MaxTerminate {
		return nil, http.StatusBadRequest, fmt.Sprintf("More than %d live "+
			"sessions match; one termination cuts at most %d. Narrow the "+
			"filters.", c.cfg.MaxTerminate, c.cfg.MaxTerminate)
	}
	rows, err := c.scoped(ctx, who, ses)
	if err != nil {
		return nil, http.StatusInternalServerError, "read principals: " + err.Error()
	}
	if len(rows) == 0 {
		return nil, http.StatusNotFound, "No live session matches; nothing to terminate."
	}
	return rows, 0, ""
}

func (c *Console) renderConfirm(w http.ResponseWriter, r *http.Request,
	who Caller, status int, form searchForm, rows []sessionRow, reason,
	field, problem string) {
	hidden, _ := url.ParseQuery(form.Query())
	hidden.Del("status")
	d := confirmData{Form: form, Hidden: hidden, Count: len(rows),
		Match: matchDigest(rows),
		Shown: rows[:min(len(rows), shownOnConfirm)], Reason: reason,
		NeedCount: len(rows) > c.cfg.ConfirmAbove, Problem: problem,
		Field: field, RegistryOnly: c.unconnected(rows)}
	c.render(w, r, who, status, "terminate", "Terminate sessions", d)
}

// unconnected lists, sorted, the providers of rows no connector serves.
func (c *Console) unconnected(rows []sessionRow) []string {
	if c.cfg.Connected == nil {
		return nil
	}
	var out []string
	for _, r := range rows {
		if !c.cfg.Connected(r.Provider) && !slices.Contains(out, r.Provider) {
			out = append(out, r.Provider)
		}
	}
	slices.Sort(out)
	return out
}

func (c *Console) terminate(w http.ResponseWriter, r *http.Request, who Caller) {
	if err := r.ParseForm(); err != nil {
		c.fail(w, r, who, http.StatusBadRequest, "form: "+err.Error())
		return
	}
	form := readSearch(r.PostForm)
	rows, status, msg := c.matchLive(r.Context(), who, form)
	if msg != "" {
		c.fail(w, r, who, status, msg)
		return
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	n := len(rows)
	if field, problem := c.checkConfirm(r, rows, reason); problem != "" {
		c.renderConfirm(w, r, who, http.StatusBadRequest, form, rows,
			reason, field, problem)
		return
	}
	acts, err := c.revoke(r.Context(), who, rows, reason)
	if err != nil {
		c.failErr(w, r, who, "terminate sessions", err)
		return
	}
	c.log.Info("sessions terminated", "caller", who.Name(), "sessions", n,
		"action_id", acts[0].ID)
	back := url.Values{}
	for k, v := range r.PostForm {
		if _, ok := form.fields()[k]; ok && k != "status" && v[0] != "" {
			back.Set(k, v[0])
		}
	}
	c.redirect(w, r, "/sessions?"+back.Encode(), fmt.Sprintf(
		"terminated %d session%s (action %s: %s).", n, plural(n),
		acts[0].ID, acts[0].State))
}

// checkConfirm checks the reason, that the match is what the responder
// saw, and, above the threshold, the typed count.
func (c *Console) checkConfirm(r *http.Request, rows []sessionRow,
	reason string) (string, string) {
	n := len(rows)
	expected, err := strconv.Atoi(r.PostFormValue("expected"))
	switch {
	// The count alone is not enough: one session ended and another
	// opened since the page was shown leave it the same, and the new one
	// is a session the responder never saw.
	case err != nil || expected != n ||
		r.PostFormValue("match") != matchDigest(rows):
		return "", fmt.Sprintf("The match changed since you looked: %d "+
			"live sessions match now. Check them again before you confirm.", n)
	case reason == "":
		return "reason", "Reason: required; it goes to the audit trail."
	case n > c.cfg.ConfirmAbove &&
		strings.TrimSpace(r.PostFormValue("confirm")) != strconv.Itoa(n):
		return "confirm", fmt.Sprintf("Confirmation: type %d, the number "+
			"of sessions to terminate (you typed %q).", n,
			short(20, r.PostFormValue("confirm")))
	}
	return "", ""
}

// revoke terminates rows through the engine, as the caller, on a
// context that outlives the request by terminateTimeout at most.
func (c *Console) revoke(ctx context.Context, who Caller, rows []sessionRow,
	reason string) ([]store.Action, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx),
		terminateTimeout)
	defer cancel()
	req := engine.ManualRequest{Operator: who.Name(), Reason: reason}
	if len(rows) == 1 {
		req.SessionID = rows[0].ID
	} else {
		req.SessionIDs = make([]string, len(rows))
		for i, s := range rows {
			req.SessionIDs[i] = s.ID
		}
	}
	acts, err := c.cfg.Revoker.Revoke(ctx, c.st, req)
	if err == nil && len(acts) == 0 {
		err = errors.New("the engine recorded no action")
	}
	return acts, err
}

// fields are the URL parameters of the search form.
func (searchForm) fields() map[string]bool {
	return map[string]bool{"principal": true, "kind": true,
		"session_kind": true, "provider": true, "status": true, "ip": true,
		"country": true, "created_after": true, "created_before": true,
		"seen_after": true, "seen_before": true}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// matchDigest names a set of sessions: the SHA-256 of their sorted ids,
// in hex.
func matchDigest(rows []sessionRow) string {
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	slices.Sort(ids)
	h := sha256.New()
	for _, id := range ids {
		h.Write([]byte(id))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}
