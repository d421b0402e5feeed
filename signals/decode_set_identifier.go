package signals

import (
	"fmt"
	"slices"
	"strings"
)

// identifierMembers are the member that carries the value of each
// simple subject identifier format: RFC 9493's, and the jwt_id and
// saml_assertion_id formats of the RISC profile. A format missing here
// that is not complex or aliases is not one a transmitter may send.
var identifierMembers = map[string]string{
	"account": "uri", "did": "url", "email": "email", "iss_sub": "sub",
	"opaque": "id", "phone_number": "phone_number", "uri": "uri",
	"jwt_id": "jti", "saml_assertion_id": "assertion_id",
}

// complexMembers are the members a complex subject (SSF 1.0) may have.
var complexMembers = []string{"application", "device", "group",
	"org_unit", "session", "tenant", "user"}

// checkSubject refuses a token whose subject identifier cannot be
// read: none at all (no sub_id, no subject in the event), or one that
// is not an object, has no or an unknown format, or lacks the member
// its format carries its value in. Such a token was taken and named no
// one, so a session-revoked event a transmitter got wrong was dropped
// without a word. An identifier that is well formed but names nothing
// the registry keys (a phone number) is no error.
func checkSubject(f Format, doc, event map[string]any, name string) error {
	field, v := "sub_id", doc["sub_id"]
	if v == nil && event["subject"] != nil {
		field, v = "events["+name+"].subject", event["subject"]
	}
	if v == nil {
		return fieldErr(f, "sub_id", "missing: a SET names its subject "+
			"(RFC 9493)", nil)
	}
	return checkIdentifier(f, field, v, 0)
}

// checkIdentifier checks the identifier v found at field.
func checkIdentifier(f Format, field string, v any, depth int) error {
	id, ok := v.(map[string]any)
	switch {
	case depth > maxIdentifierDepth:
		return fieldErr(f, field, "nested too deep", nil)
	case !ok:
		return fieldErr(f, field, "not a subject identifier object", v)
	}
	format := identifierFormat(id)
	switch format {
	case "":
		return fieldErr(f, field+".format", "missing", nil)
	case "complex":
		return checkComplex(f, field, id, depth)
	case "aliases":
		return checkAliases(f, field, id, depth)
	}
	member, known := identifierMembers[format]
	if !known {
		return fieldErr(f, field+".format", "not a subject identifier "+
			"format (one of "+knownIdentifierFormats()+")", format)
	}
	if strings.TrimSpace(text(id, member)) == "" {
		return fieldErr(f, field+"."+member, "missing: format "+format+
			" carries its value there", nil)
	}
	return nil
}

// checkComplex checks each member of a complex identifier, of which it
// has at least one.
func checkComplex(f Format, field string, id map[string]any, depth int) error {
	n := 0
	for _, m := range complexMembers {
		if v, ok := id[m]; ok {
			n++
			if err := checkIdentifier(f, field+"."+m, v, depth+1); err != nil {
				return err
			}
		}
	}
	if n == 0 {
		return fieldErr(f, field, "a complex identifier with none of "+
			strings.Join(complexMembers, ", "), nil)
	}
	return nil
}

// checkAliases checks each identifier of an aliases identifier, which
// holds at least one.
func checkAliases(f Format, field string, id map[string]any, depth int) error {
	ids, ok := id["identifiers"].([]any)
	if !ok || len(ids) == 0 {
		return fieldErr(f, field+".identifiers", "missing or not a "+
			"list of identifiers", nil)
	}
	for i, v := range ids {
		at := fmt.Sprintf("%s.identifiers[%d]", field, i)
		if err := checkIdentifier(f, at, v, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// knownIdentifierFormats lists the formats an identifier may have.
func knownIdentifierFormats() string {
	out := []string{"aliases", "complex"}
	for f := range identifierMembers {
		out = append(out, f)
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}
