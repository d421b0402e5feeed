package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/killswitch-dev/killswitch/api"
	"github.com/killswitch-dev/killswitch/store"
)

// auditPage is how many entries the audit page lists.
const auditPage = 100

type auditData struct {
	Subject string
	Entries []store.AuditEntry
	// Earlier is the "after" of the page before this one; -1 when
	// there is none to offer.
	Earlier int64
	Verify  *verifyResult
	// First and Last are the sequence numbers of the page read.
	First, Last int64
	// Scoped is true for a scoped caller, who is told nothing of the
	// entries outside its scope, not even how many.
	Scoped bool
}

// keepAudit keeps the entries whose subjects are in scope.
func keepAudit(ctx context.Context, sc *api.Scope,
	es []store.AuditEntry) ([]store.AuditEntry, error) {
	if sc.Open() {
		return es, nil
	}
	var out []store.AuditEntry
	for _, e := range es {
		ok, err := sc.Subject(ctx, e.Subject)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, e)
		}
	}
	return out, nil
}

// verifyResult is the outcome of a chain verification.
type verifyResult struct {
	OK      bool
	Entries int64
	Problem string
}

func (c *Console) audit(w http.ResponseWriter, r *http.Request, who Caller) {
	c.renderAudit(w, r, who, nil)
}

func (c *Console) renderAudit(w http.ResponseWriter, r *http.Request,
	who Caller, v *verifyResult) {
	q := r.URL.Query()
	d := auditData{Subject: strings.TrimSpace(q.Get("subject")), Verify: v,
		Earlier: -1}
	f := store.AuditFilter{Subject: d.Subject, Limit: auditPage, Latest: true}
	if s := q.Get("after"); s != "" {
		after, err := strconv.ParseInt(s, 10, 64)
		if err != nil || after < 0 {
			c.fail(w, r, who, http.StatusBadRequest, fmt.Sprintf("After: "+
				"%q is not a sequence number.", short(20, s)))
			return
		}
		f.AfterSeq, f.Latest = after, false
	}
	es, err := c.st.ListAudit(r.Context(), f)
	if err == nil {
		sc := who.Scope(c.st)
		d.Scoped = !sc.Open()
		d.Entries, err = keepAudit(r.Context(), sc, es)
	}
	if err != nil {
		c.failErr(w, r, who, "list audit entries", err)
		return
	}
	if len(es) > 0 && d.Subject == "" && es[0].Seq > 1 {
		d.Earlier = max(0, es[0].Seq-1-auditPage)
	}
	if len(es) > 0 {
		d.First, d.Last = es[0].Seq, es[len(es)-1].Seq
	}
	c.render(w, r, who, http.StatusOK, "audit", "Audit trail", d)
}

func (c *Console) verifyAudit(w http.ResponseWriter, r *http.Request, who Caller) {
	n, err := store.VerifyAudit(r.Context(), c.st)
	v := &verifyResult{OK: err == nil, Entries: n}
	var ce *store.ChainError
	switch {
	case errors.As(err, &ce):
		v.Problem = fmt.Sprintf("the chain is broken after %d good "+
			"entries: %v", n, err)
		c.log.Error("audit chain broken", "caller", who.Name(), "err", err)
	case err != nil:
		c.failErr(w, r, who, "verify the audit chain", err)
		return
	}
	c.renderAudit(w, r, who, v)
}
