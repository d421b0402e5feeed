package console

import (
	"net/http"

	"github.com/killswitch-dev/killswitch/store"
)

type policiesData struct {
	Known bool
	State PolicyState
	// Reloads are the latest reload outcomes from the audit trail
	// (policy.reloaded, policy.reload_failed), newest first.
	Reloads []store.AuditEntry
	// Healthy is whether the latest reload worked (or none failed).
	Healthy bool
}

// recentReloads is how many reload outcomes the policies page lists.
const recentReloads = 10

func (c *Console) policies(w http.ResponseWriter, r *http.Request, who Caller) {
	d := policiesData{Healthy: true}
	if c.cfg.Policies != nil {
		d.Known, d.State = true, c.cfg.Policies()
	}
	if d.State.Path != "" {
		es, err := c.st.ListAudit(r.Context(), store.AuditFilter{
			Subject: "policies:" + d.State.Path, Limit: recentReloads,
			Latest: true})
		if err != nil {
			c.failErr(w, r, who, "read policy reloads", err)
			return
		}
		for i := len(es) - 1; i >= 0; i-- {
			d.Reloads = append(d.Reloads, es[i])
		}
		if len(d.Reloads) > 0 {
			d.Healthy = d.Reloads[0].Event != "policy.reload_failed"
		}
		if d.State.ReloadError != "" {
			d.Healthy = false
		}
	}
	c.render(w, r, who, http.StatusOK, "policies", "Policies in force", d)
}
