package restclient

import (
	"errors"
	"net/url"
)

// RedactURL prints u without user info, query or fragment, which is where
// URLs carry secrets (api keys, signatures, tokens).
func RedactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	r := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path,
		RawPath: u.RawPath}
	if u.RawQuery != "" {
		return r.String() + "?[redacted]"
	}
	return r.String()
}

func redactRaw(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "[unparseable url]"
	}
	return RedactURL(u)
}

// RedactError rewrites the URL inside a transport error (*url.Error, as
// net/http returns) with RedactURL. Other errors are returned as they are.
func RedactError(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	return &transportError{op: ue.Op, url: redactRaw(ue.URL), err: ue.Err}
}

// transportError is a *url.Error with its URL redacted.
type transportError struct {
	op, url string
	err     error
}

func (e *transportError) Error() string {
	return e.op + " " + e.url + ": " + e.err.Error()
}

func (e *transportError) Unwrap() error { return e.err }
