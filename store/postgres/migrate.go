package postgres

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"

	"github.com/killswitch-dev/killswitch/store/internal/sqlstore"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrate brings db to the newest schema version. Applied versions are
// recorded in goose's table, so running it again changes nothing.
// Instances that open a new registry at the same moment queue on a
// session advisory lock with key lockID (goose's session locker), so
// that one migrates and the others find nothing pending; each
// migration runs in its own transaction.
func migrate(ctx context.Context, db *sql.DB, lockID int64) error {
	p, err := provider(db, lockID)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := refuseNewer(ctx, db, p); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// refuseNewer is sqlstore.RefuseNewer on the migrations db holds.
func refuseNewer(ctx context.Context, db *sql.DB, p *goose.Provider) error {
	applied, err := appliedVersions(ctx, db)
	if err != nil {
		return err
	}
	return sqlstore.RefuseNewer(p, applied)
}

// appliedVersions lists the migrations goose recorded in the registry's
// schema, none for a new one.
func appliedVersions(ctx context.Context, db *sql.DB) ([]int64, error) {
	var exists bool
	err := db.QueryRowContext(ctx, `SELECT to_regclass(
		quote_ident(current_schema()) || '.goose_db_version') IS NOT NULL`).
		Scan(&exists)
	if err != nil || !exists {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, `SELECT DISTINCT version_id
		FROM goose_db_version WHERE version_id > 0 AND is_applied
		ORDER BY version_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// provider is a goose provider of the embedded migrations on db, locked
// with lockID. As in store/sqlite, migrations developed side by side may
// land in any order, so a missing lower one is applied late.
func provider(db *sql.DB, lockID int64) (*goose.Provider, error) {
	dir, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	return providerOf(db, dir, lockID)
}

// providerOf is a goose provider of the migrations in dir on db.
func providerOf(db *sql.DB, dir fs.FS, lockID int64) (*goose.Provider, error) {
	// Probe the lock each second, for up to five minutes.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(lockID),
		lock.WithLockTimeout(1, 300))
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(goose.DialectPostgres, db, dir,
		goose.WithDisableGlobalRegistry(true),
		goose.WithAllowOutofOrder(true),
		goose.WithSessionLocker(locker))
}
