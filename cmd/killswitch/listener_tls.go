package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/pflag"
)

// tlsFlags make run's listener serve HTTPS and, with a client CA,
// require client certificates on the API.
type tlsFlags struct {
	cert, key, clientCA string
}

func addTLSFlags(fl *pflag.FlagSet, f *tlsFlags) {
	fl.StringVar(&f.cert, "tls-cert", "",
		"PEM certificate (chain) of the listener; with --tls-key serves HTTPS")
	fl.StringVar(&f.key, "tls-key", "", "PEM private key of --tls-cert")
	fl.StringVar(&f.clientCA, "tls-client-ca", "",
		"PEM CA bundle: every /v1 request and console page must also "+
			"present a client certificate it signed (mTLS; /metrics, "+
			"/livez and /healthz do not)")
}

// config is the listener's TLS configuration, nil for plain HTTP.
func (f tlsFlags) config() (*tls.Config, error) {
	switch {
	case f.cert == "" && f.key == "" && f.clientCA == "":
		return nil, nil
	case f.cert == "" || f.key == "":
		return nil, usage(errors.New("--tls-cert and --tls-key go together"))
	}
	pair, err := tls.LoadX509KeyPair(f.cert, f.key)
	if err != nil {
		return nil, usage(fmt.Errorf("--tls-cert/--tls-key: %w", err))
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{pair},
		MinVersion: tls.VersionTLS12}
	if f.clientCA == "" {
		return cfg, nil
	}
	pem, err := os.ReadFile(f.clientCA)
	if err != nil {
		return nil, usage(fmt.Errorf("--tls-client-ca: %w", err))
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, usage(fmt.Errorf("--tls-client-ca %s: no PEM certificate in it",
			f.clientCA))
	}
	cfg.ClientCAs, cfg.ClientAuth = pool, tls.VerifyClientCertIfGiven
	return cfg, nil
}

// usage makes err a usage error (exit 2).
func usage(err error) error {
	return &exitError{code: 2, err: err}
}
