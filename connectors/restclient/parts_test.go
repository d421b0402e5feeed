package restclient

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSecretPrintsAsAPlaceholderEverywhere(t *testing.T) {
	s := NewSecret("s3cr3t-value")
	cfg := struct{ Token Secret }{s}
	var logs strings.Builder
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("cfg", "token", s, "cfg", cfg)
	js, _ := json.Marshal(cfg)
	out := fmt.Sprintf("%v %+v %#v %s %q %x", s, cfg, cfg, s, s, s) + string(js) + logs.String()
	if strings.Contains(out, "s3cr3t") || !strings.Contains(out, redacted) {
		t.Fatalf("printed: %s", out)
	}
	if s.Reveal() != "s3cr3t-value" {
		t.Fatal("Reveal lost the value")
	}
}

func TestSecretReadsFromEnvOrFileOnly(t *testing.T) {
	t.Setenv("KS_TEST_SECRET", "from-env")
	file := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(file, []byte("from-file\n"), 0o600)
	cases := []struct {
		name, json, want, err string
	}{
		{"An environment variable", `{"env":"KS_TEST_SECRET"}`, "from-env", ""},
		{"A file without its newline", `{"file":"` + file + `"}`, "from-file", ""},
		{"An inline value is refused", `"inline-secret"`, "", "never written inline"},
		{"An unset variable is named", `{"env":"KS_NOPE"}`, "", "KS_NOPE is not set"},
		{"Both at once are refused", `{"env":"A","file":"B"}`, "", "exactly one"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var s Secret
			err := json.Unmarshal([]byte(tc.json), &s)
			if s.Reveal() != tc.want || (tc.err == "") != (err == nil) ||
				(err != nil && !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("got %q, %v", s.Reveal(), err)
			}
			if err != nil && strings.Contains(err.Error(), "inline-secret") {
				t.Fatal("the refused secret is in the error")
			}
		})
	}
}

func TestConfigValidationNamesTheField(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"No base URL", Config{}, "base_url: required"},
		{"A relative base URL", Config{BaseURL: "okta"}, `base_url: not an absolute http(s) URL ("okta")`},
		{"User info in the base URL", Config{BaseURL: "https://u:p@x.example"},
			"base_url: must not carry user info"},
		{"A query in the base URL", Config{BaseURL: "https://x.example/?key=abc"},
			"base_url: must not carry a query"},
		{"A negative rate", Config{BaseURL: "https://x.example", RateLimit: -1}, "rate_limit: negative"},
		{"Jitter above one", Config{BaseURL: "https://x.example", Retry: RetryConfig{Jitter: 2}}, "retry.jitter"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.WithDefaults().Validate()
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) || strings.Contains(err.Error(), "abc") {
				t.Fatalf("got %v, want %s", err, tc.want)
			}
		})
	}
}

func TestConfigReadsDurationsAsStrings(t *testing.T) {
	var c Config
	err := json.Unmarshal([]byte(`{"base_url":"https://x.example","timeout":"3s",`+
		`"retry":{"attempts":2,"min_wait":"100ms","max_wait":"1m"},"breaker":{"open_for":"10s"}}`), &c)
	if err != nil || c.Timeout != 3*time.Second || c.Retry.MinWait != 100*time.Millisecond ||
		c.Retry.MaxWait != time.Minute || c.Breaker.OpenFor != 10*time.Second {
		t.Fatalf("got %+v, %v", c, err)
	}
}

func TestParseErrorReadsEveryVendorsBody(t *testing.T) {
	cases := []struct {
		name, body, code, msg, rid string
	}{
		{"Okta", `{"errorCode":"E0000007","errorSummary":"Not found","errorId":"oae1"}`,
			"E0000007", "Not found", "oae1"},
		{"Graph", `{"error":{"code":"Request_ResourceNotFound","message":"gone",` +
			`"innerError":{"request-id":"g1"}}}`, "Request_ResourceNotFound", "gone", "g1"},
		{"Google", `{"error":{"code":403,"message":"Rate","errors":[{"reason":"userRateLimitExceeded"}]}}`,
			"userRateLimitExceeded", "Rate", ""},
		{"Auth0", `{"statusCode":404,"error":"Not Found",` +
			`"message":"The user does not exist.","errorCode":"inexistent_user"}`,
			"inexistent_user", "The user does not exist.", ""},
		{"GitHub", `{"message":"Not Found","documentation_url":"https://docs.github.com"}`, "", "Not Found", ""},
		{"Keycloak", `{"error":"User not found"}`, "", "User not found", ""},
		{"OAuth 2.0", `{"error":"invalid_client","error_description":"bad secret"}`,
			"invalid_client", "bad secret", ""},
		{"Vault", `{"errors":["permission denied"]}`, "", "permission denied", ""},
		{"AWS", `<ErrorResponse><Error><Code>NoSuchEntity</Code><Message>no user</Message></Error>` +
			`<RequestId>a1</RequestId></ErrorResponse>`, "NoSuchEntity", "no user", "a1"},
		{"Not JSON", `<html>502</html>`, "", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := ParseError(400, http.Header{}, []byte(tc.body))
			if e.Code != tc.code || e.Message != tc.msg || e.RequestID != tc.rid {
				t.Fatalf("got %+v", e)
			}
		})
	}
}

func TestNextLinkFindsRelNext(t *testing.T) {
	cases := []struct {
		name string
		link []string
		want string
	}{
		{"Okta's two headers", []string{`<https://o/a?limit=2>; rel="self"`,
			`<https://o/a?after=x&limit=2>; rel="next"`}, "https://o/a?after=x&limit=2"},
		{"GitHub's one header", []string{`<https://g/r?page=2>; rel="next", <https://g/r?page=5>; rel="last"`},
			"https://g/r?page=2"},
		{"The last page", []string{`<https://g/r?page=1>; rel="first"`}, ""},
		{"No header", nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := NextLink(http.Header{"Link": tc.link}); got != tc.want {
				t.Fatalf("got %q", got)
			}
		})
	}
}

func TestServerWaitReadsEveryForm(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	cases := []struct {
		name   string
		status int
		h      http.Header
		want   time.Duration
	}{
		{"Retry-After in seconds", 429, http.Header{"Retry-After": {"7"}}, 7 * time.Second},
		{"Retry-After as a date", 503, http.Header{"Retry-After": {
			now.Add(90 * time.Second).UTC().Format(http.TimeFormat)}}, 90 * time.Second},
		{"Okta's epoch reset", 429, http.Header{"X-Rate-Limit-Reset": {"1700000012"}}, 12 * time.Second},
		{"GitHub's epoch reset", 403, http.Header{"X-Ratelimit-Reset": {"1700000030"}}, 30 * time.Second},
		{"A reset as seconds from now", 429, http.Header{"X-Ratelimit-Reset": {"5"}}, 5 * time.Second},
		{"A reset in the past", 429, http.Header{"X-Rate-Limit-Reset": {"1600000000"}}, 0},
		{"The longest wins", 429, http.Header{"Retry-After": {"3"},
			"X-Rate-Limit-Reset": {"1700000009"}}, 9 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := serverWait(&http.Response{StatusCode: tc.status, Header: tc.h}, now)
			if got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}
