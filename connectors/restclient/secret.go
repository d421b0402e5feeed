package restclient

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
)

// redacted is what a Secret prints as, everywhere.
const redacted = "[redacted]"

// Secret holds a token, key or password. It prints as "[redacted]" through
// fmt (every verb), encoding/json, encoding.TextMarshaler and log/slog, so
// a config struct that holds one can be logged or dumped safely. Only
// Reveal gives the value, for the one place that sends it.
type Secret struct{ value string }

// NewSecret wraps a secret value.
func NewSecret(value string) Secret { return Secret{value: value} }

// Reveal returns the secret itself, to put on the wire.
func (s Secret) Reveal() string { return s.value }

// IsZero reports whether no secret was set.
func (s Secret) IsZero() bool { return s.value == "" }

// String prints the placeholder.
func (s Secret) String() string { return redacted }

// GoString prints the placeholder for %#v.
func (s Secret) GoString() string { return redacted }

// Format prints the placeholder for every fmt verb.
func (s Secret) Format(f fmt.State, _ rune) { fmt.Fprint(f, redacted) }

// MarshalJSON writes the placeholder as a JSON string.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText writes the placeholder.
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// LogValue logs the placeholder.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// scrubber replaces known secret values in text that leaves the client:
// error strings and vendor messages, which a careless server may echo.
type scrubber []string

func newScrubber(secrets ...Secret) scrubber {
	var s scrubber
	for _, sec := range secrets {
		if len(sec.value) >= 4 {
			s = append(s, sec.value)
		}
	}
	return s
}

func (s scrubber) clean(text string) string {
	for _, v := range s {
		text = strings.ReplaceAll(text, v, redacted)
	}
	return text
}

// SecretRef is how a config file names a secret: {env: NAME} reads an
// environment variable, {file: PATH} a file (trailing newlines dropped).
// Secrets are never written inline in a config file.
type SecretRef struct {
	Env  string `json:"env,omitempty"`
	File string `json:"file,omitempty"`
}

// UnmarshalJSON reads a SecretRef and resolves it; an inline string is
// refused, and errors name the variable or file, never the value.
func (s *Secret) UnmarshalJSON(b []byte) error {
	var ref SecretRef
	if err := json.Unmarshal(b, &ref); err != nil {
		return fmt.Errorf("not {env: NAME} or {file: PATH}; " +
			"secrets are never written inline")
	}
	v, err := ref.Resolve()
	if err != nil {
		return err
	}
	*s = NewSecret(v)
	return nil
}

// Resolve reads the secret the reference names.
func (r SecretRef) Resolve() (string, error) {
	switch {
	case (r.Env == "") == (r.File == ""):
		return "", fmt.Errorf("name exactly one of env or file")
	case r.Env != "":
		v, ok := os.LookupEnv(r.Env)
		if !ok || v == "" {
			return "", fmt.Errorf("environment variable %s is not set", r.Env)
		}
		return v, nil
	}
	b, err := os.ReadFile(r.File)
	if err != nil {
		return "", fmt.Errorf("read secret file: %w", err)
	}
	v := strings.TrimRight(string(b), "\r\n")
	if v == "" {
		return "", fmt.Errorf("secret file %s is empty", r.File)
	}
	return v, nil
}
