package restclient

import (
	"encoding/json"
	"fmt"
	"net/url"
	"time"
)

// Config is the HTTP behaviour every connector shares: where it calls, how
// long one attempt may take, how it retries, how fast it may go and when it
// stops trying for a while. Set BaseURL; WithDefaults fills the rest.
// Durations read from JSON or YAML as Go duration strings ("10s").
type Config struct {
	// BaseURL is the API root that Request.Path is joined to, such as
	// https://example.okta.com. Required: absolute http or https, no
	// user info, no query.
	BaseURL string `json:"base_url"`
	// Timeout bounds one attempt: connect, send, read the whole answer.
	// Default 10s. The caller's context bounds all attempts together.
	Timeout time.Duration `json:"-"`
	// Retry says how often and how patiently a call is retried.
	Retry RetryConfig `json:"retry"`
	// RateLimit is how many requests per second this client sends to one
	// host, whatever the caller asks; 0 means no client-side limit. The
	// server's own limits are honoured through Retry either way.
	RateLimit float64 `json:"rate_limit"`
	// Burst is how many requests may go at once above RateLimit. Default
	// 1, or RateLimit rounded up when that is larger. Unused without
	// RateLimit.
	Burst int `json:"burst"`
	// Breaker stops calling a failing service for a while.
	Breaker BreakerConfig `json:"breaker"`
	// Dialect says how the vendor words errors and throttling. Set by
	// the connector, never by a config file.
	Dialect Dialect `json:"-"`
}

// RetryConfig bounds the retries of one call. A call is retried on a
// connection error, a 429, a 5xx other than 501, and a vendor's rate-limit
// answer that is not a 429; see Client.Do.
type RetryConfig struct {
	// Attempts is how many times a call is tried in all, the first
	// included. Default 4; 1 disables retries.
	Attempts int `json:"attempts"`
	// MinWait is the wait before the first retry; it doubles each retry.
	// Default 500ms.
	MinWait time.Duration `json:"-"`
	// MaxWait caps the doubling wait, and is the longest wait a server
	// may ask for (Retry-After, a rate-limit reset): a call told to wait
	// longer gives up at once as Retryable, so the action waits in the
	// outbox instead of holding a worker. Default 30s.
	MaxWait time.Duration `json:"-"`
	// Jitter is the fraction of each wait that is random, to spread
	// clients that were throttled together: a doubling wait shrinks by up
	// to this fraction, a server-asked wait grows by up to it. Default
	// 0.2; at most 1.
	Jitter float64 `json:"jitter"`
}

// BreakerConfig sets the circuit breaker of one client. After Failures
// consecutive failed attempts (connection errors, 5xx other than 501) the
// breaker opens: calls fail at once as Retryable for OpenFor, then Probes
// calls test the service before it closes again.
type BreakerConfig struct {
	// Failures is how many consecutive failures open the breaker.
	// Default 5.
	Failures uint32 `json:"failures"`
	// OpenFor is how long the breaker stays open. Default 30s.
	OpenFor time.Duration `json:"-"`
	// Probes is how many calls may test a half-open breaker. Default 1.
	Probes uint32 `json:"probes"`
}

// WithDefaults returns c with every unset field at its default.
func (c Config) WithDefaults() Config {
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.Burst <= 0 {
		c.Burst = max(1, int(c.RateLimit+0.999))
	}
	c.Retry = c.Retry.withDefaults()
	c.Breaker = c.Breaker.withDefaults()
	return c
}

func (r RetryConfig) withDefaults() RetryConfig {
	if r.Attempts <= 0 {
		r.Attempts = 4
	}
	if r.MinWait <= 0 {
		r.MinWait = 500 * time.Millisecond
	}
	if r.MaxWait <= 0 {
		r.MaxWait = 30 * time.Second
	}
	if r.Jitter <= 0 {
		r.Jitter = 0.2
	}
	return r
}

func (b BreakerConfig) withDefaults() BreakerConfig {
	if b.Failures == 0 {
		b.Failures = 5
	}
	if b.OpenFor <= 0 {
		b.OpenFor = 30 * time.Second
	}
	if b.Probes == 0 {
		b.Probes = 1
	}
	return b
}

// Validate checks c after defaults; errors name the field in config-file
// spelling (base_url, retry.jitter).
func (c Config) Validate() error {
	if err := ValidateBaseURL(c.BaseURL); err != nil {
		return fmt.Errorf("base_url: %w", err)
	}
	switch {
	case c.RateLimit < 0:
		return fmt.Errorf("rate_limit: negative (%g)", c.RateLimit)
	case c.Retry.Jitter > 1:
		return fmt.Errorf("retry.jitter: above 1 (%g)", c.Retry.Jitter)
	case c.Retry.MinWait > c.Retry.MaxWait:
		return fmt.Errorf("retry.min_wait: longer than retry.max_wait (%s > %s)",
			c.Retry.MinWait, c.Retry.MaxWait)
	}
	return nil
}

// ValidateBaseURL checks that raw is an absolute http(s) URL with a host
// and without user info or a query, which would put secrets in logs.
func ValidateBaseURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		return fmt.Errorf("required")
	case err != nil || u.Host == "" ||
		(u.Scheme != "http" && u.Scheme != "https"):
		return fmt.Errorf("not an absolute http(s) URL (%q)", redactRaw(raw))
	case u.User != nil:
		return fmt.Errorf("must not carry user info; use the credential fields")
	case u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("must not carry a query or fragment (%q)", redactRaw(raw))
	}
	return nil
}

// jsonConfig is how Config reads from JSON and YAML: durations as strings.
type jsonConfig struct {
	BaseURL   string        `json:"base_url"`
	Timeout   Duration      `json:"timeout"`
	Retry     RetryConfig   `json:"retry"`
	RateLimit float64       `json:"rate_limit"`
	Burst     int           `json:"burst"`
	Breaker   BreakerConfig `json:"breaker"`
}

// UnmarshalJSON reads a Config with durations as strings, over the values
// c already has, so that keys may be read one at a time.
func (c *Config) UnmarshalJSON(b []byte) error {
	j := jsonConfig{BaseURL: c.BaseURL, Timeout: Duration(c.Timeout),
		Retry: c.Retry, RateLimit: c.RateLimit, Burst: c.Burst,
		Breaker: c.Breaker}
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	c.BaseURL, c.Timeout, c.Retry = j.BaseURL, time.Duration(j.Timeout), j.Retry
	c.RateLimit, c.Burst, c.Breaker = j.RateLimit, j.Burst, j.Breaker
	return nil
}

// UnmarshalJSON reads a RetryConfig with durations as strings.
func (r *RetryConfig) UnmarshalJSON(b []byte) error {
	var j struct {
		Attempts int      `json:"attempts"`
		MinWait  Duration `json:"min_wait"`
		MaxWait  Duration `json:"max_wait"`
		Jitter   float64  `json:"jitter"`
	}
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*r = RetryConfig{Attempts: j.Attempts, MinWait: time.Duration(j.MinWait),
		MaxWait: time.Duration(j.MaxWait), Jitter: j.Jitter}
	return nil
}

// UnmarshalJSON reads a BreakerConfig with durations as strings.
func (b *BreakerConfig) UnmarshalJSON(data []byte) error {
	var j struct {
		Failures uint32   `json:"failures"`
		OpenFor  Duration `json:"open_for"`
		Probes   uint32   `json:"probes"`
	}
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	*b = BreakerConfig{Failures: j.Failures, OpenFor: time.Duration(j.OpenFor),
		Probes: j.Probes}
	return nil
}

// Duration is a time.Duration that reads from JSON as a Go duration
// string ("1m30s").
type Duration time.Duration

// UnmarshalJSON reads a duration string; a bad one names the value.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("not a duration string (%s)", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("not a non-negative duration (%q)", s)
	}
	*d = Duration(v)
	return nil
}
