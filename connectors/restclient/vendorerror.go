package restclient

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strings"
	"unicode/utf8"
)

// maxMessage caps a vendor message kept in an error.
const maxMessage = 300

// commonRequestIDHeaders are where vendors put their request id.
var commonRequestIDHeaders = []string{"X-Okta-Request-Id", "Request-Id",
	"Client-Request-Id", "X-Github-Request-Id", "X-Amzn-Requestid",
	"X-Amz-Request-Id", "X-Request-Id", "X-Auth0-Requestid"}

// ParseError reads the error bodies of the vendors the connectors know:
//
//   - Okta: {"errorCode","errorSummary","errorId"}
//   - Graph: {"error":{"code","message","innerError":{"request-id"}}}
//   - Google: {"error":{"code":403,"message","errors":[{"reason"}]}}
//   - Auth0: {"statusCode","error","message","errorCode"}
//   - GitHub: {"message","documentation_url"}
//   - Keycloak: {"error":"User not found"} or {"errorMessage"}
//   - OAuth 2.0 (RFC 6749 §5.2): {"error","error_description"}
//   - Vault: {"errors":["..."]}
//   - AWS query APIs: <ErrorResponse><Error><Code>...</Code>...
//
// A body it cannot read gives an APIError with the status alone.
func ParseError(status int, h http.Header, body []byte) APIError {
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '<' {
		return parseXMLError(status, body)
	}
	var b jsonErrorBody
	if json.Unmarshal(body, &b) != nil {
		return APIError{Status: status}
	}
	return b.apiError(status)
}

type jsonErrorBody struct {
	ErrorCode        string          `json:"errorCode"`
	ErrorSummary     string          `json:"errorSummary"`
	ErrorID          string          `json:"errorId"`
	Error            json.RawMessage `json:"error"`
	ErrorDescription string          `json:"error_description"`
	ErrorMessage     string          `json:"errorMessage"`
	Message          string          `json:"message"`
	Errors           []any           `json:"errors"`
}

type jsonErrorObject struct {
	Code       any    `json:"code"`
	Message    string `json:"message"`
	InnerError struct {
		RequestID string `json:"request-id"`
	} `json:"innerError"`
	Errors []struct {
		Reason string `json:"reason"`
	} `json:"errors"`
}

func (b jsonErrorBody) apiError(status int) APIError {
	e := APIError{Status: status, Code: b.ErrorCode, RequestID: b.ErrorID,
		Message: firstOf(b.ErrorSummary, b.Message, b.ErrorMessage,
			b.ErrorDescription)}
	var obj jsonErrorObject
	var text string
	switch {
	case json.Unmarshal(b.Error, &obj) == nil:
		e.Code = firstOf(e.Code, obj.reason())
		e.Message = firstOf(obj.Message, e.Message)
		e.RequestID = firstOf(obj.InnerError.RequestID, e.RequestID)
	case json.Unmarshal(b.Error, &text) == nil:
		e.Code, e.Message = errorText(e.Code, e.Message, text)
	}
	if e.Message == "" && len(b.Errors) > 0 {
		if s, ok := b.Errors[0].(string); ok {
			e.Message = s
		}
	}
	return e
}

// reason is the most specific code of a Graph or Google error object.
func (o jsonErrorObject) reason() string {
	if len(o.Errors) > 0 && o.Errors[0].Reason != "" {
		return o.Errors[0].Reason
	}
	if s, ok := o.Code.(string); ok {
		return s
	}
	return ""
}

// errorText sorts an "error" string: a code such as invalid_client
// (OAuth, Auth0's "Not Found") or a sentence (Keycloak's "User not found").
func errorText(code, msg, text string) (string, string) {
	if code == "" && !strings.Contains(text, " ") {
		return text, msg
	}
	if msg == "" {
		return code, text
	}
	return code, msg
}

type xmlErrorBody struct {
	Code      string `xml:"Error>Code"`
	Message   string `xml:"Error>Message"`
	RequestID string `xml:"RequestId"`
}

func parseXMLError(status int, body []byte) APIError {
	var x xmlErrorBody
	if xml.Unmarshal(body, &x) != nil {
		return APIError{Status: status}
	}
	return APIError{Status: status, Code: x.Code, Message: x.Message,
		RequestID: x.RequestID}
}

func firstOf(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// requestID finds the vendor's request id in the response headers.
func requestID(h http.Header, d Dialect) string {
	for _, name := range d.RequestIDHeaders {
		if v := h.Get(name); v != "" {
			return v
		}
	}
	for _, name := range commonRequestIDHeaders {
		if v := h.Get(name); v != "" {
			return v
		}
	}
	return ""
}

// truncate is s cut to at most n bytes, at the start of a character,
// and marked "...": cut inside one, the message was not UTF-8, which
// PostgreSQL refused as an action's error.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}
