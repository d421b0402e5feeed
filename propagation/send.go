package propagation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/killswitch-dev/killswitch/store"
)

// refusedError is an answer that retrying cannot change: the receiver
// refused the SET (RFC 8935 section 2.3) or the request.
type refusedError struct{ msg string }

func (e *refusedError) Error() string { return e.msg }

// send POSTs the delivery and classifies the answer: 2xx is delivered;
// 400 (RFC 8935 section 2.3: the SET is refused), 410, 413, 415 and 422
// refuse it for good; any other status, a redirect (never followed) or a
// network error is worth another try, as a receiver may fix its token or
// endpoint (401, 403, 404, 3xx) while the delivery waits.
func (p *Pusher) send(ctx context.Context, st store.Stream, d store.Delivery) error {
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodPost,
		st.EndpointURL, d.Body)
	if err != nil {
		return &refusedError{msg: "endpoint_url does not parse as a URL"}
	}
	if st.Method == store.DeliveryWebhook {
		signWebhook(req.Header, st, d, p.clock())
	} else {
		req.Header.Set("Content-Type", SETMediaType)
		req.Header.Set("Accept", "application/json")
	}
	if auth := st.Authorization.Reveal(); auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return fmt.Errorf("push: %s", transportError(err))
	}
	defer resp.Body.Close()
	return answer(resp)
}

// answer classifies a receiver's response.
func answer(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	switch resp.StatusCode {
	case http.StatusBadRequest, http.StatusGone, http.StatusRequestEntityTooLarge,
		http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity:
	default:
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			return nil
		}
		if after, ok := retryAfter(resp); ok {
			return &throttledError{after: after, msg: fmt.Sprintf(
				"push: receiver answered %d, retry after %s",
				resp.StatusCode, after)}
		}
		if resp.StatusCode >= 300 && resp.StatusCode < 400 {
			return fmt.Errorf("push: receiver answered %d: a redirect, "+
				"not followed: the stream's endpoint_url must be where "+
				"SETs are accepted", resp.StatusCode)
		}
		return fmt.Errorf("push: receiver answered %d", resp.StatusCode)
	}
	var e struct {
		Err         string `json:"err"`
		Description string `json:"description"`
	}
	msg := fmt.Sprintf("push: receiver refused with %d", resp.StatusCode)
	if json.Unmarshal(bytes.TrimSpace(body), &e) == nil && e.Err != "" {
		msg += fmt.Sprintf(": %s: %.200s", e.Err, e.Description)
	}
	return &refusedError{msg: msg}
}

// throttledError is a 429 or 503 whose Retry-After says how long the
// receiver wants us to wait.
type throttledError struct {
	msg   string
	after time.Duration
}

func (e *throttledError) Error() string { return e.msg }

// maxRetryAfter bounds the seconds of a Retry-After, so that no value
// overflows a duration; a push waits at most MaxBackoff anyway.
const maxRetryAfter = 7 * 24 * 3600

// retryAfter reads the Retry-After of a 429 or 503: seconds, or an HTTP
// date.
func retryAfter(resp *http.Response) (time.Duration, bool) {
	if resp.StatusCode != http.StatusTooManyRequests &&
		resp.StatusCode != http.StatusServiceUnavailable {
		return 0, false
	}
	v := resp.Header.Get("Retry-After")
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return time.Duration(min(secs, maxRetryAfter)) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(time.Until(at), 0), true
	}
	return 0, false
}

// transportError describes a network failure without the URL, whose
// query or user info may hold a secret.
func transportError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	return err.Error()
}
