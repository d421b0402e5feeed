package inventorysync

import (
	"encoding/json"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// Report is what one provider's sync did.
type Report struct {
	Provider string    `json:"provider"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// Principals is how many principals the provider knew.
	Principals int `json:"principals"`
	// Added, Refreshed and Ended count sessions and credentials.
	Added     int `json:"added"`
	Refreshed int `json:"refreshed"`
	Ended     int `json:"ended"`
	// StillListed counts those revoked in the registry that the provider
	// still lists as live: a revocation that did not take.
	StillListed int `json:"still_listed"`
	// Locked counts the new sessions and credentials the provider
	// listed that a lock in force kept out of the registry: the
	// provider let them be made although the target is locked.
	Locked int `json:"locked,omitempty"`
	// Aliases is how many identifiers were attached to principals.
	Aliases  int       `json:"aliases"`
	Failures []Failure `json:"failures,omitempty"`
}

// Failure is a provider's failure to list one principal.
type Failure struct {
	PrincipalID string `json:"principal_id"`
	Err         string `json:"error"`
}

// auditEntry is the report as an audit entry.
func (r Report) auditEntry() store.AuditEntry {
	// A Report of strings, numbers and times always marshals.
	details, _ := json.Marshal(r)
	return store.AuditEntry{Time: r.Finished, Actor: "sync",
		Event: EventSynced, Subject: "provider:" + r.Provider,
		Details: details}
}
