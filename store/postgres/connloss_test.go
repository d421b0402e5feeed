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
