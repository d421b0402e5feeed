package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// pki is a throwaway CA with a server and a client certificate, as PEM
// files in dir.
type pki struct {
	dir                  string
	ca                   *x509.Certificate
	caKey                *ecdsa.PrivateKey
	pool                 *x509.CertPool
	gateway, intruder    tls.Certificate
	caFile, cert, keyPEM string
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	p := &pki{dir: t.TempDir(), pool: x509.NewCertPool()}
	p.caKey, p.ca = p.issue(t, nil, nil, &x509.Certificate{
		Subject: pkix.Name{CommonName: "test CA"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign})
	p.pool.AddCert(p.ca)
	p.caFile = p.write(t, "ca.pem", "CERTIFICATE", p.ca.Raw)
	key, srv := p.issue(t, p.ca, p.caKey, &x509.Certificate{
		Subject:     pkix.Name{CommonName: "killswitch"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	p.cert = p.write(t, "server.pem", "CERTIFICATE", srv.Raw)
	der, _ := x509.MarshalECPrivateKey(key)
	p.keyPEM = p.write(t, "server-key.pem", "EC PRIVATE KEY", der)
	p.gateway = p.leaf(t, p.ca, p.caKey, "gateway-1")
	otherKey, otherCA := p.issue(t, nil, nil, &x509.Certificate{
		Subject: pkix.Name{CommonName: "other CA"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign})
	p.intruder = p.leaf(t, otherCA, otherKey, "intruder")
	return p
}

// issue makes a key and a certificate from tmpl, signed by parent (self
// when nil).
func (p *pki) issue(t *testing.T, parent *x509.Certificate,
	parentKey *ecdsa.PrivateKey, tmpl *x509.Certificate) (*ecdsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl.SerialNumber = big.NewInt(time.Now().UnixNano())
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return key, c
}

// leaf is a client certificate for name signed by ca.
func (p *pki) leaf(t *testing.T, ca *x509.Certificate, caKey *ecdsa.PrivateKey,
	name string) tls.Certificate {
	key, c := p.issue(t, ca, caKey, &x509.Certificate{
		Subject:     pkix.Name{CommonName: name},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	return tls.Certificate{Certificate: [][]byte{c.Raw}, PrivateKey: key}
}

func (p *pki) write(t *testing.T, name, typ string, der []byte) string {
	t.Helper()
	path := filepath.Join(p.dir, name)
	err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// client is an HTTPS client that trusts the CA and presents cert,
// whatever CAs the server asks for (none when cert is nil).
func (p *pki) client(cert *tls.Certificate) *http.Client {
	cfg := &tls.Config{RootCAs: p.pool}
	if cert != nil {
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return cert, nil
		}
	}
	return &http.Client{Timeout: 10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: cfg}}
}

func TestRunServesTheAPIOverMTLS(t *testing.T) {
	db := importedStore(t)
	out, _ := ks(t, "--store", db, "tokens", "create", "--name", "gw",
		"--role", "viewer")
	secret := secretLine.FindString(out)
	p := newPKI(t)
	httpPort, brokerPort := freeTestPort(t), freeTestPort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", httpPort)
	run := exec.Command(binary, "--store", db, "run", "--listen", addr,
		"--embedded-broker-port", fmt.Sprint(brokerPort),
		"--tls-cert", p.cert, "--tls-key", p.keyPEM, "--tls-client-ca", p.caFile)
	var logs bytes.Buffer
	run.Stderr = &logs
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	defer run.Process.Kill()
	waitDial(t, addr)

	get := func(c *http.Client, path string) int {
		req, _ := http.NewRequest(http.MethodGet, "https://"+addr+path, nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		res, err := c.Do(req)
		if err != nil {
			return -1
		}
		res.Body.Close()
		return res.StatusCode
	}
	cases := []struct {
		name   string
		client *http.Client
		path   string
		want   int
	}{
		{"A client certificate of the CA and a token pass", p.client(&p.gateway),
			"/v1/principals", http.StatusOK},
		{"A token alone is refused", p.client(nil), "/v1/principals",
			http.StatusUnauthorized},
		{"A certificate of another CA fails the handshake",
			p.client(&p.intruder), "/v1/principals", -1},
		{"Liveness needs no client certificate", p.client(nil), "/livez",
			http.StatusOK},
		// A token pasted into the console must not get around mTLS.
		{"The console is refused without a client certificate",
			p.client(nil), "/login", http.StatusForbidden},
		{"The console serves a client certificate of the CA",
			p.client(&p.gateway), "/login", http.StatusOK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := get(c.client, c.path); got != c.want {
				t.Fatalf("GET %s = %d, want %d\n%s", c.path, got, c.want,
					logs.String())
			}
		})
	}
}

func TestRunRefusesHalfATLSConfiguration(t *testing.T) {
	db := importedStore(t)
	p := newPKI(t)
	runCLICases(t, db, []cliCase{
		{"A certificate without its key", []string{"--store", "DB", "run",
			"--listen", "127.0.0.1:0", "--tls-cert", p.cert}, 2,
			[]string{"--tls-key"}},
		{"A client CA that is not PEM", []string{"--store", "DB", "run",
			"--listen", "127.0.0.1:0", "--tls-cert", p.cert, "--tls-key",
			p.keyPEM, "--tls-client-ca", p.keyPEM}, 2,
			[]string{"--tls-client-ca"}},
	})
}
