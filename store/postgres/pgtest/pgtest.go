// Package pgtest gives tests a registry of their own on the local
// PostgreSQL server: a fresh schema, dropped when the test ends, so that
// tests run in parallel and leave nothing behind.
//
// The server is named by the environment variable KILLSWITCH_TEST_POSTGRES
// (a postgres:// URL), by default DefaultURL. Without a server that
// answers, a test skips saying how to start one, except under CI=true,
// where it fails.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL is the environment variable naming the test server.
const EnvURL = "KILLSWITCH_TEST_POSTGRES"

// DefaultURL is the test server when EnvURL is not set: the local one,
// trusting the postgres role, database test.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// howToStart is what a skipped test says.
const howToStart = "start PostgreSQL (pg_ctlcluster --skip-systemctl-" +
	"redirect $(ls /etc/postgresql) main start) or set " + EnvURL +
	" to a postgres:// URL of a server where the role may create schemas"

// ServerURL is the test server's URL.
func ServerURL() string {
	if u := os.Getenv(EnvURL); u != "" {
		return u
	}
	return DefaultURL
}

// Schema creates a schema with a fresh name on the test server, drops
// it with everything in it when t ends, and returns the server's URL
// with search_path set to it: a registry opened there is t's own.
func Schema(t testing.TB) string {
	t.Helper()
	base := ServerURL()
	conn := connect(t, base)
	defer conn.Close(context.Background())
	name := "ks_test_" + randomHex(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		t.Fatalf("create schema %s: %v", name, err)
	}
	t.Cleanup(func() { dropSchema(t, base, name) })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", EnvURL, err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}

// connect connects to the test server, or skips (fails under CI=true).
func connect(t testing.TB, base string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err == nil {
		return conn
	}
	msg := "no PostgreSQL server for the test (" + err.Error() + "): " +
		howToStart
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return nil
}

// dropSchema drops the schema name and what it holds.
func dropSchema(t testing.TB, base, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Errorf("drop schema %s: %v", name, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP SCHEMA "+name+" CASCADE"); err != nil {
		t.Errorf("drop schema %s: %v", name, err)
	}
}

// randomHex is 8 random bytes in hex.
func randomHex(t testing.TB) string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
