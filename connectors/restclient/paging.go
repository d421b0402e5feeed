package restclient

import (
	"context"
	"fmt"
	"net/http"
	"strings"
)

// maxPages stops paging a server whose links loop.
const maxPages = 1000

// StatusError is an answer that is not 2xx, as an error. Classify and
// Client.Result see through it to the answer.
type StatusError struct{ Resp *Response }

func (e *StatusError) Error() string { return e.Resp.APIError(Dialect{}).Error() }

// Err is nil for a 2xx answer and a *StatusError otherwise.
func (r *Response) Err() error {
	if r.Status >= 200 && r.Status < 300 {
		return nil
	}
	return &StatusError{Resp: r}
}

// GetJSON sends req (any method, despite the name), requires a 2xx answer
// and decodes it into v.
func (c *Client) GetJSON(ctx context.Context, req Request, v any) (*Response, error) {
	resp, err := c.Do(ctx, req)
	if err != nil {
		return resp, err
	}
	if err := resp.Err(); err != nil {
		return resp, err
	}
	return resp, resp.JSON(v)
}

// Pages sends req, hands each 2xx page to each, and follows next until it
// returns "": an absolute URL on the base URL's host (Okta and GitHub
// Link rel="next", Graph @odata.nextLink) or a path. A page that is not
// 2xx stops with a *StatusError.
func (c *Client) Pages(ctx context.Context, req Request,
	next func(*Response) (string, error), each func(*Response) error) error {
	for range maxPages {
		resp, err := c.Do(ctx, req)
		if err != nil {
			return err
		}
		if err := resp.Err(); err != nil {
			return err
		}
		if err := each(resp); err != nil {
			return err
		}
		link, err := next(resp)
		if err != nil || link == "" {
			return err
		}
		req = Request{Method: http.MethodGet, Path: link, Header: req.Header}
	}
	return fmt.Errorf("%s: more than %d pages; stopped", c.name, maxPages)
}

// NextLink returns the target of the rel="next" link of a Link header
// (RFC 8288), as Okta and GitHub page, or "".
func NextLink(h http.Header) string {
	for _, v := range h.Values("Link") {
		for _, part := range strings.Split(v, ",") {
			if target, ok := nextTarget(part); ok {
				return target
			}
		}
	}
	return ""
}

func nextTarget(link string) (string, bool) {
	segs := strings.Split(link, ";")
	target := strings.TrimSpace(segs[0])
	if !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
		return "", false
	}
	for _, p := range segs[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(k, "rel") &&
			hasToken(strings.Trim(v, `"`), "next") {
			return target[1 : len(target)-1], true
		}
	}
	return "", false
}

func hasToken(list, tok string) bool {
	for _, f := range strings.Fields(list) {
		if strings.EqualFold(f, tok) {
			return true
		}
	}
	return false
}
