package store

import (
	"context"
	"time"
)

// Validity is what a credential's issuer said, when last asked, about
// whether an exposed credential still works.
type Validity string

// The validities an exposure may record.
const (
	// ValidityUnchecked: nobody has asked the issuer yet.
	ValidityUnchecked Validity = ""
	// ValidityValid: the issuer still honours the credential.
	ValidityValid Validity = "valid"
	// ValidityInvalid: the issuer no longer honours it.
	ValidityInvalid Validity = "invalid"
	// ValidityUnknown: the issuer was asked and could not tell.
	ValidityUnknown Validity = "unknown"
)

// Valid reports whether v is one of the validities.
func (v Validity) Valid() bool {
	switch v {
	case ValidityUnchecked, ValidityValid, ValidityInvalid, ValidityUnknown:
		return true
	}
	return false
}

// ExposureRecord is one entry of the exposure ledger: one leak of one
// secret, seen by one source in one place, however often reported.
//
// An exposure names its secret by Fingerprint ("sha256:<hex>" of the
// secret, as a credential's Fingerprint) or by KeyID (an access key id,
// a token accessor: a credential's ExternalID). CredentialID is empty
// while no registry credential has either: the exposure is unmatched
// until a sync or an import brings the credential in.
type ExposureRecord struct {
	ID           string    `json:"id"`
	CredentialID string    `json:"credential_id,omitempty"`
	Fingerprint  string    `json:"fingerprint,omitempty"`
	KeyID        string    `json:"key_id,omitempty"`
	Source       string    `json:"source"`
	Where        string    `json:"where,omitempty"`
	FirstSeen    time.Time `json:"first_seen"`
	LastSeen     time.Time `json:"last_seen"`
	// SignalID is the signal that first reported it.
	SignalID string `json:"signal_id,omitempty"`
	// Validity is the issuer's answer when last asked, at CheckedAt.
	Validity  Validity  `json:"validity,omitempty"`
	CheckedAt time.Time `json:"checked_at,omitzero"`
}

// ExposureFilter selects exposures; zero fields match everything.
type ExposureFilter struct {
	CredentialID string
	// Unmatched selects the exposures that name no credential yet.
	Unmatched bool
	Limit     int
}

// ExposedFilter selects exposed credentials.
type ExposedFilter struct {
	PrincipalID string
	// Status, when set, keeps credentials of that status ("active").
	Status string
	// StillValid keeps credentials whose latest check said valid.
	StillValid bool
	// ExposedBefore, when set, keeps credentials first exposed before it
	// (exposed longer ago than now minus an age).
	ExposedBefore time.Time
	Limit         int
}

// ExposedCredential is a credential with its ledger entries, oldest
// first.
type ExposedCredential struct {
	Credential Credential       `json:"credential"`
	Exposures  []ExposureRecord `json:"exposures"`
}

// FirstSeen is when the credential was first seen exposed.
func (e ExposedCredential) FirstSeen() time.Time {
	var first time.Time
	for _, x := range e.Exposures {
		if first.IsZero() || x.FirstSeen.Before(first) {
			first = x.FirstSeen
		}
	}
	return first
}

// Checked is the newest validity check of its exposures: the answer and
// when; zero when none was checked.
func (e ExposedCredential) Checked() (Validity, time.Time) {
	var v Validity
	var at time.Time
	for _, x := range e.Exposures {
		if x.Validity != ValidityUnchecked && x.CheckedAt.After(at) {
			v, at = x.Validity, x.CheckedAt
		}
	}
	return v, at
}

// Exposures is the exposure ledger.
type Exposures interface {
	// RecordExposure adds an exposure, or refreshes the one with the same
	// credential (or, unmatched, the same Fingerprint and KeyID), source
	// and place: LastSeen moves forward, FirstSeen back. An exposure
	// without a CredentialID is matched, when it is written, against the
	// credentials by Fingerprint, then ExternalID, then their aliases (a
	// secret_hash alias whose value is the Fingerprint: a scanner's own
	// hash of the secret; any alias whose value is the KeyID). One left
	// unmatched is matched when a credential (PutCredential) or a
	// credential's alias (PutAlias) that names it is written. A matched
	// exposure also sets the credential's Exposure when it is the
	// earliest (MarkExposed). It returns the entry as stored.
	RecordExposure(ctx context.Context, e ExposureRecord) (ExposureRecord, error)
	// ListExposures returns the entries matching f, oldest first.
	ListExposures(ctx context.Context, f ExposureFilter) ([]ExposureRecord, error)
	// SetExposureValidity records what the issuer said at at about every
	// exposure of a credential.
	SetExposureValidity(ctx context.Context, credentialID string,
		v Validity, at time.Time) error
	// ListExposedCredentials returns the credentials with at least one
	// ledger entry that match f, first exposed first.
	ListExposedCredentials(ctx context.Context, f ExposedFilter) ([]ExposedCredential, error)
}
