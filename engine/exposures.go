package engine

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/signals"
	"github.com/killswitch-dev/killswitch/store"
)

// secretFindingTypes are the finding types (lower case) of threat
// findings that report a leaked secret, as TruffleHog-style scanners'
// OCSF findings do. They are the shipped policy's
// lists.secret_finding_types.
var secretFindingTypes = []string{"secret exposure", "exposed secret",
	"secrets/exposed credential", "trufflehog"}

// revokingChanges are the change types of a CAEP credential-change that
// report an exposure: the transmitter revoked or deleted the credential.
// A credential created or updated there is no leak of the one here.
var revokingChanges = []string{"revoke", "delete"}

// credentialKinds are the registry credential kinds a CAEP or RISC
// credential_type names: the shipped policy's lists.caep_credential_kinds.
var credentialKinds = map[string][]string{
	"password": {"password"}, "pin": {"password"},
	"x509": {"certificate"}, "app": {"api_key", "token"},
}

// isExposure reports whether sig reports an exposure: secret scanning
// (GitHub, GitGuardian), a RISC credential-compromise, a CAEP
// credential-change that revoked or deleted the credential, or a threat
// finding about a leaked secret (one that names the secret's hash, or
// whose type is a secret finding's).
func isExposure(sig signals.Signal) bool {
	switch sig.Category {
	case signals.CategorySecretExposure, signals.CategoryCredentialCompromise:
		return true
	case signals.CategoryCredentialChange:
		return slices.Contains(revokingChanges, attribute(sig, "change_type"))
	case signals.CategoryThreat:
		return slices.Contains(secretFindingTypes,
			attribute(sig, "finding_type")) ||
			slices.ContainsFunc(sig.Subjects, func(s signals.Subject) bool {
				return s.Type == signals.SubjectSecretHash
			})
	}
	return false
}

// attribute is a text attribute of sig, lower case.
func attribute(sig signals.Signal, name string) string {
	v, _ := sig.Attributes[name].(string)
	return strings.ToLower(v)
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

// exposures are the ledger entries an exposure signal makes: one per
// credential it names (see exposedCredentials) and one per secret it
// names that resolved to nothing.
func exposures(sig signals.Signal, in rules.Input,
	signalID string) []store.ExposureRecord {
	base := store.ExposureRecord{Source: exposureSource(sig),
		Where: exposureWhere(sig), FirstSeen: sig.Time, LastSeen: sig.Time,
		SignalID: signalID}
	if v := signalValidity(sig); v != store.ValidityUnchecked {
		base.Validity, base.CheckedAt = v, sig.Time
	}
	var out []store.ExposureRecord
	for _, id := range exposedCredentials(sig, in) {
		e := base
		e.CredentialID = id
		out = append(out, e)
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

// exposedCredentials are the ids of the credentials sig names: those a
// subject of it resolved to and, for a CAEP or RISC event, which names
// a person and a credential type, the active credentials of that
// person of the kinds the type stands for.
func exposedCredentials(sig signals.Signal, in rules.Input) []string {
	var ids []string
	kinds := credentialKinds[attribute(sig, "credential_type")]
	byType := sig.Category == signals.CategoryCredentialChange ||
		sig.Category == signals.CategoryCredentialCompromise
	for _, c := range in.Credentials {
		typed := byType && c.Status == store.StatusActive &&
			slices.Contains(kinds, c.Kind)
		if len(c.MatchedBy) > 0 || typed {
			ids = append(ids, c.ID)
		}
	}
	return ids
}

// signalValidity is what the signal says about the secret: GitHub's
// alert.validity (active, inactive, unknown), GitGuardian's
// incident.validity (valid, invalid, ...); a CAEP credential-change
// reports the credential revoked or deleted, so no longer valid.
func signalValidity(sig signals.Signal) store.Validity {
	if sig.Category == signals.CategoryCredentialChange {
		return store.ValidityInvalid
	}
	switch attribute(sig, "validity") {
	case "active", "valid":
		return store.ValidityValid
	case "inactive", "invalid":
		return store.ValidityInvalid
	case "":
		return store.ValidityUnchecked
	}
	return store.ValidityUnknown
}

// exposureSource names who reported the exposure: the signal's format,
// and for an OCSF finding the product that made it
// ("ocsf/TruffleHog").
func exposureSource(sig signals.Signal) string {
	product, _ := sig.Attributes["product"].(string)
	if sig.Format == signals.FormatOCSF && product != "" {
		return string(sig.Format) + "/" + product
	}
	return string(sig.Format)
}

func exposureWhere(sig signals.Signal) string {
	for _, s := range sig.Subjects {
		if s.Type == signals.SubjectRepository {
			return s.Value
		}
	}
	return ""
}
