package engine

import (
	"context"
	"fmt"

	"github.com/killswitch-dev/killswitch/connectors"
)

// verify asks c, when it can look, whether the revocation that req asked
// for and res reported as made is in effect. It returns nil when there is
// nothing to verify: the call did not succeed, or c is no Verifier.
func (x *Executor) verify(ctx context.Context, c connectors.Connector,
	req connectors.Request, res connectors.Result) *connectors.Verification {
	v, ok := c.(connectors.Verifier)
	if !ok || !res.Succeeded() {
		return nil
	}
	check := v.Verify(ctx, req)
	if check.At.IsZero() {
		check.At = x.clock()
	}
	return &check
}

// stillHonoured is the error for a revocation the provider accepted but
// still honours: worth another try, which calls the provider again.
func stillHonoured(provider, what string, check *connectors.Verification) error {
	return fmt.Errorf("%s: revoke %s: accepted but still honoured: %s",
		provider, what, check.Evidence)
}

// checked is what verifications found, by session or credential id.
type checked map[string]connectors.Verification

// record keeps check for id, when there is one.
func (c checked) record(id string, check *connectors.Verification) {
	if check != nil {
		c[id] = *check
	}
}

// summary is the action's verification: failed when any check failed,
// requested when any is not yet observable, else confirmed; "" when
// nothing was checked.
func (c checked) summary() connectors.Check {
	if len(c) == 0 {
		return ""
	}
	out := connectors.Confirmed
	for _, v := range c {
		switch v.Check {
		case connectors.Failed:
			return connectors.Failed
		case connectors.Requested:
			out = connectors.Requested
		}
	}
	return out
}

// details are the audit details of id's verification, or nil.
func (c checked) details(id string) map[string]any {
	v, ok := c[id]
	if !ok {
		return nil
	}
	return map[string]any{"check": v.Check, "evidence": v.Evidence,
		"at": v.At}
}

// addTo puts the verifications on an action's result: per id and the
// summary.
func (c checked) addTo(result map[string]any) {
	if len(c) == 0 {
		return
	}
	per := make(map[string]any, len(c))
	for id := range c {
		per[id] = c.details(id)
	}
	result["verifications"] = per
	result["verification"] = c.summary()
}
