package engine

import (
	"context"
	"errors"
	"strings"

	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/signals"
	"github.com/killswitch-dev/killswitch/store"
)

// exposureCategories are the categories of signals that report a
// credential as leaked or compromised: secret scanning (GitHub,
// GitGuardian), a RISC credential-compromise and a CAEP credential-change.
var exposureCategories = map[signals.Category]bool{
	signals.CategorySecretExposure:       true,
	signals.CategoryCredentialCompromise: true,
	signals.CategoryCredentialChange:     true,
}

// isExposure reports whether sig reports an exposure. A threat finding
// counts when it names a secret by its hash, as TruffleHog-style
// scanners' OCSF findings do.
func isExposure(sig signals.Signal) bool {
	if exposureCategories[sig.Category] {
		return true
	}
	if sig.Category != signals.CategoryThreat {
		return false
	}
	for _, s := range sig.Subjects {
		if s.Type == signals.SubjectSecretHash {
			return true
		}
	}
	return false
}

// recordExposures writes an exposure signal to the exposure ledger: one
// entry for each credential it named and, for each secret it named that
// the registry does not hold yet, an unmatched entry that the credential
// takes over when a sync or an import brings it in. The ledger is
// idempotent (a repeat only refreshes last seen), so a failure is logged
// and left for the next signal about it.
func (p *Pipeline) recordExposures(ctx context.Context, sig signals.Signal,
	in rules.Input, signalID string) {
	if !isExposure(sig) {
		return
	}
	for _, e := range exposures(sig, in, signalID) {
		_, err := p.store.RecordExposure(ctx, e)
		if err != nil && !errors.Is(err, context.Canceled) {
			p.log.Warn("record exposure", "credential_id", e.CredentialID,
				"signal_id", signalID, "err", err)
		}
	}
}

// exposures are the ledger entries an exposure signal makes.
func exposures(sig signals.Signal, in rules.Input,
	signalID string) []store.ExposureRecord {
	base := store.ExposureRecord{Source: string(sig.Format),
		Where: exposureWhere(sig), FirstSeen: sig.Time, LastSeen: sig.Time,
		SignalID: signalID}
	if v := signalValidity(sig); v != store.ValidityUnchecked {
		base.Validity, base.CheckedAt = v, sig.Time
	}
	var out []store.ExposureRecord
	for _, c := range in.Credentials {
		if len(c.MatchedBy) > 0 {
			e := base
			e.CredentialID = c.ID
			out = append(out, e)
		}
	}
	for _, s := range in.Unresolved {
		e := base
		switch {
		case s.Type == signals.SubjectSecretHash:
			e.Fingerprint = s.Value
		case s.Role == signals.RoleCredential:
			e.KeyID = s.Value
		default:
			continue
		}
		out = append(out, e)
	}
	return out
}

// signalValidity is what the scanner said about the secret: GitHub's
// alert.validity (active, inactive, unknown), GitGuardian's
// incident.validity (valid, invalid, ...).
func signalValidity(sig signals.Signal) store.Validity {
	v, _ := sig.Attributes["validity"].(string)
	switch strings.ToLower(v) {
	case "active", "valid":
		return store.ValidityValid
	case "inactive", "invalid":
		return store.ValidityInvalid
	case "":
		return store.ValidityUnchecked
	}
	return store.ValidityUnknown
}

func exposureWhere(sig signals.Signal) string {
	for _, s := range sig.Subjects {
		if s.Type == signals.SubjectRepository {
			return s.Value
		}
	}
	return ""
}
