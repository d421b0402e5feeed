package setpush

import (
	"encoding/json"
	"strings"
)

// frameworkEvents is the prefix of the event types SSF 1.0 itself
// defines (verification, stream-updated): they are about the stream,
// not about a subject.
const frameworkEvents = "https://schemas.openid.net/secevent/ssf/event-type/"

// StreamEvent is an SSF framework event a SET carries: a transmitter
// answering a verification request (SSF 1.0 section 8.1.4) or telling
// of a stream's new status (section 8.1.5). A receiver takes it and
// acts on nothing: no subject of its registry is named.
type StreamEvent struct {
	Issuer string
	JTI    string
	// Type is the event's name: "verification" or "stream-updated".
	Type string
	// State is a verification's state, as the receiver asked it.
	State string
	// Status and Reason are a stream-updated event's.
	Status string
	Reason string
}

// StreamEventOf reads the framework event of a verified SET's claims;
// ok is false when they carry another event, or more than one.
func StreamEventOf(claims []byte) (ev StreamEvent, ok bool) {
	var c struct {
		Iss    string                     `json:"iss"`
		JTI    string                     `json:"jti"`
		Events map[string]json.RawMessage `json:"events"`
	}
	if json.Unmarshal(claims, &c) != nil || len(c.Events) != 1 {
		return StreamEvent{}, false
	}
	for uri, raw := range c.Events {
		name, found := strings.CutPrefix(uri, frameworkEvents)
		if !found || name == "" {
			return StreamEvent{}, false
		}
		var m struct {
			State  string `json:"state"`
			Status string `json:"status"`
			Reason string `json:"reason"`
		}
		_ = json.Unmarshal(raw, &m) // members are optional
		ev = StreamEvent{Issuer: c.Iss, JTI: c.JTI, Type: name,
			State: m.State, Status: m.Status, Reason: m.Reason}
	}
	return ev, true
}
