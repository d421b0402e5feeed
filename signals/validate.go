package signals

import (
	"fmt"
	"strings"
	"time"
)

var knownCategories = map[Category]bool{
	CategorySecretExposure:       true,
	CategoryThreat:               true,
	CategoryAuthentication:       true,
	CategoryAccountChange:        true,
	CategoryAPIActivity:          true,
	CategorySessionRevoked:       true,
	CategoryCredentialChange:     true,
	CategoryAccountDisabled:      true,
	CategoryCredentialCompromise: true,
	CategoryOther:                true,
}

var knownSubjectTypes = map[SubjectType]bool{
	SubjectEmail: true, SubjectUsername: true, SubjectUserID: true,
	SubjectAccessKeyID: true, SubjectARN: true, SubjectIP: true,
	SubjectSessionID: true, SubjectDeviceID: true, SubjectClientID: true,
	SubjectSecretHash: true, SubjectRepository: true,
}

var knownRoles = map[Role]bool{
	RoleActor: true, RoleTarget: true, RoleCredential: true,
	RoleSource: true, RoleLocation: true,
}

// Validate reports the first thing that makes s unfit for the engine:
// a missing format, category, severity, time or dedup key, a time not in
// UTC, a dedup key without its format prefix, a subject with an unknown
// type or role, a blank value or a duplicate, or an attribute that is
// not a string, bool or json.Number. Decode calls it on every result.
func (s Signal) Validate() error {
	if err := s.validateHeader(); err != nil {
		return err
	}
	if err := s.validateSubjects(); err != nil {
		return err
	}
	return s.validateAttributes()
}

func (s Signal) validateHeader() error {
	switch {
	case s.Format == "":
		return invalid("format", "missing")
	case !knownCategories[s.Category]:
		return invalid("category", fmt.Sprintf("unknown %q", s.Category))
	case s.Severity.Rank() < 0:
		return invalid("severity", fmt.Sprintf("unknown %q", s.Severity))
	case s.Time.IsZero():
		return invalid("time", "missing")
	case s.Time.Location() != time.UTC:
		return invalid("time", "not in UTC")
	case s.DedupKey == "":
		return invalid("dedup_key", "missing")
	case !strings.HasPrefix(s.DedupKey, string(s.Format)+":"):
		return invalid("dedup_key", "not prefixed by the format")
	}
	return nil
}

func (s Signal) validateSubjects() error {
	seen := make(map[Subject]bool, len(s.Subjects))
	for i, sub := range s.Subjects {
		field := fmt.Sprintf("subjects[%d]", i)
		key := Subject{Type: sub.Type, Value: sub.Value}
		switch {
		case !knownSubjectTypes[sub.Type]:
			return invalid(field, fmt.Sprintf("unknown type %q", sub.Type))
		case !knownRoles[sub.Role]:
			return invalid(field, fmt.Sprintf("unknown role %q", sub.Role))
		case strings.TrimSpace(sub.Value) == "":
			return invalid(field, "blank value")
		case seen[key]:
			return invalid(field, "duplicate "+string(sub.Type))
		}
		seen[key] = true
	}
	return nil
}

func (s Signal) validateAttributes() error {
	for k, v := range s.Attributes {
		if !validAttribute(v) {
			return invalid("attributes."+k, fmt.Sprintf("unsupported type %T", v))
		}
	}
	return nil
}

func invalid(field, problem string) error {
	return fmt.Errorf("invalid signal: %s: %s", field, problem)
}
