package sweeps

import (
	"context"
	"errors"
	"slices"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/store"
)

// exposedStillValid asks the issuer of each exposed credential not yet
// revoked whether it still works, records the answer in the exposure
// ledger, and asks the sweep policy about each owner, with the
// exposures' ages and the answers in the input.
func exposedStillValid(ctx context.Context, d *Deps, r *Report) error {
	exposed, err := d.Store.ListExposedCredentials(ctx,
		store.ExposedFilter{Status: store.StatusActive})
	if err != nil {
		return err
	}
	now := d.Clock.Now()
	byOwner := map[string]map[string]store.Validity{}
	for _, x := range exposed {
		c := x.Credential
		r.Examined++
		v := d.checkValidity(ctx, c, r)
		if v == store.ValidityUnchecked {
			v, _ = x.Checked()
		}
		if v != store.ValidityInvalid {
			r.find("credential:"+c.ID, "exposed %d days ago (first seen %s "+
				"by %s), validity %s", days(now.Sub(x.FirstSeen())),
				x.FirstSeen().Format("2006-01-02"), x.Exposures[0].Source,
				validityWord(v))
		}
		if byOwner[c.PrincipalID] == nil {
			byOwner[c.PrincipalID] = map[string]store.Validity{}
		}
		byOwner[c.PrincipalID][c.ID] = v
	}
	ids := make([]string, 0, len(byOwner))
	for id := range byOwner {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		in, err := d.inputFor(ctx, id, now, byOwner[id])
		if err != nil {
			return err
		}
		if err := d.decide(ctx, r, "principal:"+id, in, false); err != nil {
			return err
		}
	}
	return d.execute(ctx, r)
}

// checkValidity asks the credential's connector whether it still works
// and records the answer; unchecked when no connector can tell. A
// credential its issuer says lapses at a time already past is invalid.
func (d *Deps) checkValidity(ctx context.Context, c store.Credential,
	r *Report) store.Validity {
	checker, ok := d.Connectors.For(c.Store).(connectors.CredentialChecker)
	if !ok {
		return store.ValidityUnchecked
	}
	got, err := checker.CheckCredential(ctx, c)
	now := d.Clock.Now()
	v := store.ValidityInvalid
	switch {
	case errors.Is(err, connectors.ErrValidityUnknown):
		v = store.ValidityUnknown
	case err != nil:
		r.fail("check credential %s at %s: %v", c.ID, c.Store, err)
		return store.ValidityUnchecked
	case got.Active && (got.ExpiresAt.IsZero() || got.ExpiresAt.After(now)):
		v = store.ValidityValid
	}
	err = d.Store.SetExposureValidity(ctx, c.ID, v, now)
	if err != nil {
		r.fail("record the validity of credential %s: %v", c.ID, err)
	}
	return v
}

func validityWord(v store.Validity) string {
	if v == store.ValidityUnchecked {
		return "not checked"
	}
	return string(v)
}
