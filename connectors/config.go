package connectors

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"github.com/killswitch-dev/killswitch/internal/configdoc"
)

// Config is the connectors section of the killswitch config file:
//
//	connectors:
//	  - name: okta-prod          # unique
//	    type: okta               # which connector package
//	    provider: okta           # Session.Provider / Credential.Store served
//	    base_url: https://example.okta.com
//	    token: {env: OKTA_TOKEN} # or {file: /run/secrets/okta}; never inline
//	    timeout: 10s
//	    retry: {attempts: 4, min_wait: 500ms, max_wait: 30s, jitter: 0.2}
//	    rate_limit: 10           # requests per second per host
//	    breaker: {failures: 5, open_for: 30s}
//
// Package connectors/wiring builds the connectors from it.
type Config struct {
	Connectors []Entry `json:"connectors"`
}

// Entry is one configured connector: the keys every entry has, and the
// rest of its keys for the connector package to read.
type Entry struct {
	// Name names this instance in logs, errors and the breaker. Unique.
	Name string
	// Type picks the connector package (okta, entra, ...).
	Type string
	// Provider is the Session.Provider and Credential.Store value whose
	// revocations this connector carries out. Default: Type. Unique.
	Provider string
	// Fields are the entry's other keys, as JSON.
	Fields map[string]json.RawMessage
}

// UnmarshalJSON reads an entry, keeping unknown keys in Fields.
func (e *Entry) UnmarshalJSON(b []byte) error {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return fmt.Errorf("not a mapping of keys to values")
	}
	for key, dst := range map[string]*string{"name": &e.Name,
		"type": &e.Type, "provider": &e.Provider} {
		if raw, ok := all[key]; ok {
			if err := json.Unmarshal(raw, dst); err != nil {
				return fmt.Errorf("%s: not a string", key)
			}
			delete(all, key)
		}
	}
	e.Fields = all
	return nil
}

// Keys lists the entry's other keys, sorted.
func (e Entry) Keys() []string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// LoadConfig reads a YAML or JSON config file. Other top-level sections
// are ignored; the connectors section is validated.
func LoadConfig(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("read config: %w", err)
	}
	cfg, err := ParseConfig(b)
	if err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, nil
}

// ParseConfig reads YAML or JSON, sets defaults and validates.
func ParseConfig(data []byte) (Config, error) {
	js, err := configdoc.ToJSON(data)
	if err != nil {
		return Config{}, fmt.Errorf("not YAML: %w", err)
	}
	var cfg Config
	if bytes.Equal(bytes.TrimSpace(js), []byte("null")) {
		return cfg, nil
	}
	if err := json.Unmarshal(js, &cfg); err != nil {
		return Config{}, fmt.Errorf("connectors: %w", err)
	}
	cfg = cfg.WithDefaults()
	return cfg, cfg.Validate()
}

// WithDefaults sets each entry's Provider to its Type when unset.
func (c Config) WithDefaults() Config {
	out := Config{Connectors: make([]Entry, len(c.Connectors))}
	for i, e := range c.Connectors {
		if e.Provider == "" {
			e.Provider = e.Type
		}
		out.Connectors[i] = e
	}
	return out
}

// Validate checks the keys every entry has: name and type set, names and
// providers unique. Errors name the entry: connectors[2].name.
func (c Config) Validate() error {
	names, providers := map[string]int{}, map[string]int{}
	for i, e := range c.Connectors {
		at := fmt.Sprintf("connectors[%d]", i)
		switch {
		case e.Name == "":
			return fmt.Errorf("%s.name: required", at)
		case e.Type == "":
			return fmt.Errorf("%s.type: required", at)
		}
		if j, dup := names[e.Name]; dup {
			return fmt.Errorf("%s.name: %q already names connectors[%d]", at, e.Name, j)
		}
		if j, dup := providers[e.Provider]; dup {
			return fmt.Errorf("%s.provider: %q is already served by connectors[%d]",
				at, e.Provider, j)
		}
		names[e.Name], providers[e.Provider] = i, i
	}
	return nil
}
