package postgres_test

import (
	"fmt"
	"testing"

	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/postgres"
	"github.com/killswitch-dev/killswitch/store/postgres/pgtest"
)

// TestAWriteOutlivesTheServerEndingIdleConnections: the server ending
// the pool's idle connections (a failover, an idle timeout, an operator's
// pg_terminate_backend) costs the next writes nothing; each finds a live
// connection. Only this test's connections are ended, by their
// application_name.
func TestAWriteOutlivesTheServerEndingIdleConnections(t *testing.T) {
	name := "ks_connloss_" + t.Name()[len(t.Name())-8:]
	url := pgtest.Schema(t) + "&application_name=" + name
	s, err := postgres.Open(t.Context(), url)
	must(t, err)
	t.Cleanup(func() { s.Close() })
	admin := rawDB(t, pgtest.ServerURL())
	for i := range 3 {
		// Several connections idle in the pool, all of them ended.
		errs := make(chan error, 4)
		for j := range 4 {
			go func() {
				errs <- s.AppendAudit(t.Context(),
					entries(fmt.Sprint("warm-", i, "-", j), 1)...)
			}()
		}
		for range 4 {
			must(t, <-errs)
		}
		var ended int
		must(t, admin.QueryRowContext(t.Context(), `SELECT
			count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE application_name = $1`, name).Scan(&ended))
		if ended == 0 {
			t.Fatal("no connection of the store to end")
		}
		err := s.PutPrincipal(t.Context(), store.Principal{
			ID: fmt.Sprint("p", i), Kind: store.KindHuman})
		if err != nil {
			t.Fatalf("write after the server ended %d idle connections: %v",
				ended, err)
		}
	}
}

// TestAReadOutlivesTheServerEndingIdleConnections: as a write, a read
// that finds the pool's idle connections ended by the server (a failover,
// an idle timeout, pg_terminate_backend) runs on a live one instead of
// failing: a row, a list, a change feed page and a principal lock (on a
// pool of its own), each on a store of its own. Only this test's
// connections are ended, by their application_name.
func TestAReadOutlivesTheServerEndingIdleConnections(t *testing.T) {
	schema := pgtest.Schema(t)
	reads := map[string]func(*postgres.Store) error{
		"get principal": func(s *postgres.Store) error {
			_, err := s.GetPrincipal(t.Context(), "alice")
			return err
		},
		"list principals": func(s *postgres.Store) error {
			_, err := s.ListPrincipals(t.Context(), store.PrincipalFilter{})
			return err
		},
		"changed since": func(s *postgres.Store) error {
			_, err := s.ChangedSince(t.Context(), 0, 0)
			return err
		},
		"lock principals": func(s *postgres.Store) error {
			unlock, err := s.LockPrincipals(t.Context(), []string{"alice"})
			if err == nil {
				unlock()
			}
			return err
		},
	}
	admin := rawDB(t, pgtest.ServerURL())
	i := 0
	for what, read := range reads {
		i++
		name := fmt.Sprint("ks_connloss_", t.Name()[len(t.Name())-8:], i)
		s, err := postgres.Open(t.Context(), schema+"&application_name="+name)
		must(t, err)
		t.Cleanup(func() { s.Close() })
		must(t, s.PutPrincipal(t.Context(), store.Principal{ID: "alice",
			Kind: store.KindHuman}))
		warm(t, func() error { return read(s) })
		var ended int
		must(t, admin.QueryRowContext(t.Context(), `SELECT
			count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE application_name = $1`, name).Scan(&ended))
		if ended == 0 {
			t.Fatal("no connection of the store to end")
		}
		for range ended {
			if err := read(s); err != nil {
				t.Errorf("%s after the server ended %d idle connections: %v",
					what, ended, err)
				break
			}
		}
	}
}

// warm runs read on four connections at once, so that several sit idle
// in the pool.
func warm(t *testing.T, read func() error) {
	t.Helper()
	errs := make(chan error, 4)
	for range 4 {
		go func() { errs <- read() }()
	}
	for range 4 {
		must(t, <-errs)
	}
}
