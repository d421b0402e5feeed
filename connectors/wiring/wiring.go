// Package wiring is the one place that lists every connector by name: it
// builds the connectors a config file names. It lives apart from package
// connectors because every connector package imports that one.
package wiring

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/auth0"
	"github.com/killswitch-dev/killswitch/connectors/awsiam"
	"github.com/killswitch-dev/killswitch/connectors/entra"
	"github.com/killswitch-dev/killswitch/connectors/github"
	"github.com/killswitch-dev/killswitch/connectors/google"
	"github.com/killswitch-dev/killswitch/connectors/hydra"
	"github.com/killswitch-dev/killswitch/connectors/keycloak"
	"github.com/killswitch-dev/killswitch/connectors/kratos"
	"github.com/killswitch-dev/killswitch/connectors/oauth2"
	"github.com/killswitch-dev/killswitch/connectors/okta"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
	"github.com/killswitch-dev/killswitch/connectors/vault"
	"github.com/killswitch-dev/killswitch/connectors/webhook"
)

// httpKeys are the entry keys every connector shares, read into its
// restclient.Config.
var httpKeys = map[string]bool{"base_url": true, "timeout": true,
	"retry": true, "rate_limit": true, "burst": true, "breaker": true}

// builder builds one connector from its entry.
type builder func(e connectors.Entry, log *slog.Logger) (connectors.Connector, error)

// builders lists every connector type.
var builders = map[string]builder{
	"auth0":    typed(auth0.New, func(c *auth0.Config) *restclient.Config { return &c.HTTP }),
	"awsiam":   typed(awsiam.New, func(c *awsiam.Config) *restclient.Config { return &c.HTTP }),
	"entra":    typed(entra.New, func(c *entra.Config) *restclient.Config { return &c.HTTP }),
	"github":   typed(github.New, func(c *github.Config) *restclient.Config { return &c.HTTP }),
	"google":   typed(google.New, func(c *google.Config) *restclient.Config { return &c.HTTP }),
	"hydra":    typed(hydra.New, func(c *hydra.Config) *restclient.Config { return &c.HTTP }),
	"keycloak": typed(keycloak.New, func(c *keycloak.Config) *restclient.Config { return &c.HTTP }),
	"kratos":   typed(kratos.New, func(c *kratos.Config) *restclient.Config { return &c.HTTP }),
	"oauth2":   typed(oauth2.New, func(c *oauth2.Config) *restclient.Config { return &c.HTTP }),
	"okta":     typed(okta.New, func(c *okta.Config) *restclient.Config { return &c.HTTP }),
	"vault":    typed(vault.New, func(c *vault.Config) *restclient.Config { return &c.HTTP }),
	"webhook":  typed(webhook.New, func(c *webhook.Config) *restclient.Config { return &c.HTTP }),
}

// typed makes a builder from a connector package's New and the place of
// the shared HTTP settings in its Config.
func typed[C any, X connectors.Connector](
	newFn func(name, provider string, cfg C, log *slog.Logger) (X, error),
	http func(*C) *restclient.Config) builder {
	return func(e connectors.Entry, log *slog.Logger) (connectors.Connector, error) {
		var cfg C
		if err := decode(e, &cfg, http(&cfg)); err != nil {
			return nil, err
		}
		return newFn(e.Name, e.Provider, cfg, log)
	}
}

// Types lists the connector types Build knows, sorted.
func Types() []string {
	out := make([]string, 0, len(builders))
	for t := range builders {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Build builds every connector cfg names and indexes them by provider.
// An empty cfg gives an empty Set: revocations then take effect in the
// registry only. Errors name the entry and field
// (connectors[2].base_url: ...) and never print a secret.
func Build(cfg connectors.Config, log *slog.Logger) (connectors.Set, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var cs []connectors.Connector
	for i, e := range cfg.Connectors {
		c, err := build(e, log.With("connector", e.Name))
		if err != nil {
			return nil, fmt.Errorf("connectors[%d].%w", i, err)
		}
		cs = append(cs, c)
	}
	return connectors.NewSet(cs...)
}

func build(e connectors.Entry, log *slog.Logger) (connectors.Connector, error) {
	b, ok := builders[e.Type]
	if !ok {
		return nil, fmt.Errorf("type: unknown connector type %q (known: %v)",
			e.Type, Types())
	}
	return b(e, log)
}

// decode reads an entry's keys one at a time, the shared ones into http
// and the others into cfg, so that an error names its key; a key neither
// knows is an error. Errors start with the key, for Build to prefix.
func decode(e connectors.Entry, cfg any, http *restclient.Config) error {
	for _, key := range e.Keys() {
		one, _ := json.Marshal(map[string]json.RawMessage{key: e.Fields[key]})
		var err error
		if httpKeys[key] {
			err = json.Unmarshal(one, http)
		} else {
			err = strict(one, cfg)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", key, unwrapJSON(err))
		}
	}
	return nil
}

func strict(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	return nil
}

// unwrapJSON shortens encoding/json's messages, which name Go types.
func unwrapJSON(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("not a %s", te.Type)
	}
	if s := err.Error(); len(s) > 20 && s[:20] == "json: unknown field " {
		return fmt.Errorf("unknown key for this connector type")
	}
	return err
}
