package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"hash/fnv"
	"slices"
	"time"
)

// maxLockConns bounds the connections that hold principal locks. They
// come from a pool of their own: a signal holding its principals' lock
// needs a connection of the main pool to record its decision, and
// signals holding every connection of one pool while waiting for
// another would wait forever.
const maxLockConns = 16

// LockPrincipals holds a lock on each of ids, shared by every instance
// on this registry, until the returned func is called: signals about one
// principal are then worked one at a time across instances, from
// reading the registry to recording the decision, as one instance works
// them (engine.PrincipalLocker). A Kafka key names whatever the SIEM
// had (an e-mail, an access key), so two instances of one consumer group
// could each take an alert about the same principal under two keys and
// decide both against the registry as it stood before either.
//
// The locks are session advisory locks of one connection, taken in
// sorted order so that two signals naming the same principals never
// deadlock; PostgreSQL lets go of them when the session ends, so an
// instance that dies holding them holds them no longer.
func (s *Store) LockPrincipals(ctx context.Context, ids []string) (unlock func(), err error) {
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	if len(ids) == 0 {
		return func() {}, nil
	}
	// A connection the server ended while it sat idle fails its first
	// lock; its session, and every lock it took, ended with it, so the
	// locks are taken again on the next, as a read runs again.
	for attempt := 0; ; attempt++ {
		unlock, err = s.lockOnce(ctx, ids)
		if err == nil || !connectionLost(err) || attempt == maxLockConns {
			return unlock, err
		}
	}
}

// lockOnce is LockPrincipals on one connection.
func (s *Store) lockOnce(ctx context.Context, ids []string) (unlock func(), err error) {
	conn, err := s.lockDB.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock principals: %w", err)
	}
	for _, id := range ids {
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1, $2)`,
			s.schemaKey, principalKey(id)); err != nil {
			letGo(conn)
			return nil, fmt.Errorf("lock principal %s: %w", id, err)
		}
	}
	return func() { letGo(conn) }, nil
}

// letGo ends every lock conn holds and returns it to its pool; a
// connection that cannot say so is closed, which ends them too.
func letGo(conn *sql.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock_all()`); err != nil {
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	_ = conn.Close()
}

// principalKey is the second half of a principal's lock key; two
// principals whose ids hash alike only wait for each other.
func principalKey(id string) int32 {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int32(h.Sum32())
}
