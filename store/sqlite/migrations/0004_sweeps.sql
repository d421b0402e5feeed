-- The exposure ledger and the sweeps' runs and leases.
--
-- An exposure is one leak of one secret seen by one source in one place.
-- credential_id is '' while it names no registry credential; it is
-- matched by fingerprint or key_id (a credential's external_id) when the
-- credential arrives. validity is '' until the issuer is asked.

-- +goose Up
CREATE TABLE exposures (
    seq           INTEGER PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    credential_id TEXT NOT NULL DEFAULT '',
    fingerprint   TEXT NOT NULL DEFAULT '',
    key_id        TEXT NOT NULL DEFAULT '',
    source        TEXT NOT NULL,
    place         TEXT NOT NULL DEFAULT '',
    first_seen    TEXT NOT NULL,
    last_seen     TEXT NOT NULL,
    signal_id     TEXT NOT NULL DEFAULT '',
    validity      TEXT NOT NULL DEFAULT '',
    checked_at    TEXT
);
CREATE INDEX exposures_credential ON exposures (credential_id, first_seen);
CREATE INDEX exposures_fingerprint ON exposures (fingerprint)
    WHERE credential_id = '';
CREATE INDEX exposures_key_id ON exposures (key_id) WHERE credential_id = '';

-- One row per sweep and scheduled time: the unique key is what makes two
-- instances run each scheduled time once.
CREATE TABLE sweep_runs (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    sweep        TEXT NOT NULL,
    scheduled_at TEXT NOT NULL,
    owner        TEXT NOT NULL DEFAULT '',
    started_at   TEXT NOT NULL,
    finished_at  TEXT,
    outcome      TEXT NOT NULL,
    error        TEXT NOT NULL DEFAULT '',
    report       TEXT,
    UNIQUE (sweep, scheduled_at)
);

CREATE TABLE sweep_leases (
    sweep      TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

-- +goose Down
DROP TABLE sweep_leases;
DROP TABLE sweep_runs;
DROP TABLE exposures;
