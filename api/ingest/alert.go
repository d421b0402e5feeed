package ingest

import (
	"bytes"
	"errors"

	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/signals"
)

// Why an alert was not accepted: the reason label of the rejected
// metric, and in the API's answers.
const (
	// ReasonNotJSON: the payload is not one JSON object.
	ReasonNotJSON = "not_json"
	// ReasonUnknownFormat: no decoder accepts it.
	ReasonUnknownFormat = "unknown_format"
	// ReasonInvalidField: a decoder accepts it, but a field is bad.
	ReasonInvalidField = "invalid_field"
	// ReasonTooLarge: the request, or the alert, is over a size limit.
	ReasonTooLarge = "too_large"
	// ReasonRateLimited: the token sent more than its allowance.
	ReasonRateLimited = "rate_limited"
	// ReasonUnavailable: Kafka did not acknowledge it in time.
	ReasonUnavailable = "unavailable"
)

// Alert is one payload of a request and what decoding made of it.
type Alert struct {
	// Line is its line in an NDJSON body; 1 for a lone alert.
	Line int
	// Payload is the alert as it came, published as is.
	Payload []byte
	// Signal is what it decoded to, when Err is nil.
	Signal signals.Signal
	// Err is why it did not decode: signals.Decode's error, a
	// *signals.FieldError naming the field where there is one.
	Err error
}

// Decode decodes payload, found at line of its request, with the
// built-in decoders (Ingester.Decode uses its Config's Decoder).
func Decode(line int, payload []byte) Alert {
	return decodeWith(nil, line, payload)
}

// decodeWith decodes with d; nil is signals.Decode.
func decodeWith(d engine.PayloadDecoder, line int, payload []byte) Alert {
	decode := signals.Decode
	if d != nil {
		decode = d.Decode
	}
	sig, err := decode(payload)
	return Alert{Line: line, Payload: payload, Signal: sig, Err: err}
}

// Split decodes an NDJSON body: one alert per line that is not blank,
// numbered from 1 with the blank lines counted. A line may end in \r\n.
// It uses the built-in decoders (Ingester.Split its Config's Decoder).
func Split(body []byte) []Alert {
	return splitWith(nil, body)
}

func splitWith(d engine.PayloadDecoder, body []byte) []Alert {
	var out []Alert
	for i, line := range bytes.Split(body, []byte("\n")) {
		line = bytes.TrimRight(line, "\r")
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		out = append(out, decodeWith(d, i+1, line))
	}
	return out
}

// Reason is why the alert was rejected, "" when it decoded.
func (a Alert) Reason() string {
	var fe *signals.FieldError
	switch {
	case a.Err == nil:
		return ""
	case errors.Is(a.Err, signals.ErrNotJSON):
		return ReasonNotJSON
	case errors.Is(a.Err, signals.ErrUnknownFormat):
		return ReasonUnknownFormat
	case errors.As(a.Err, &fe):
		return ReasonInvalidField
	}
	return ReasonUnknownFormat
}

// Field is the *signals.FieldError of an alert that has one.
func (a Alert) Field() (*signals.FieldError, bool) {
	var fe *signals.FieldError
	ok := errors.As(a.Err, &fe)
	return fe, ok
}
