-- Propagation by standard: the keys that sign Security Event Tokens, the
-- receivers' streams (Shared Signals streams and webhooks) and the
-- deliveries queued for them. Private keys and the secrets a stream sends
-- are kept as they must be used; no list command reads those columns.

-- +goose Up
CREATE TABLE signing_keys (
    kid         TEXT PRIMARY KEY,
    alg         TEXT NOT NULL,
    private_der BLOB NOT NULL,
    created_at  TEXT NOT NULL,
    retired_at  TEXT
);

-- Lists (audience, events, excluded subjects) are JSON arrays.
CREATE TABLE streams (
    id               TEXT PRIMARY KEY,
    audience         TEXT NOT NULL DEFAULT '[]',
    method           TEXT NOT NULL,
    endpoint_url     TEXT NOT NULL DEFAULT '',
    authorization    TEXT NOT NULL DEFAULT '',
    signing_secret   TEXT NOT NULL DEFAULT '',
    events_requested TEXT NOT NULL DEFAULT '[]',
    events_delivered TEXT NOT NULL DEFAULT '[]',
    description      TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL,
    status_reason    TEXT NOT NULL DEFAULT '',
    excluded         TEXT NOT NULL DEFAULT '[]',
    created_at       TEXT,
    updated_at       TEXT
);

-- seq keeps insertion order among deliveries created at the same time.
CREATE TABLE deliveries (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    stream_id   TEXT NOT NULL REFERENCES streams (id) ON DELETE CASCADE,
    id          TEXT NOT NULL,
    event_type  TEXT NOT NULL DEFAULT '',
    body        BLOB NOT NULL,
    state       TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT NOT NULL DEFAULT '',
    created_at  TEXT,
    not_before  TEXT,
    lease_until TEXT,
    lease_owner TEXT NOT NULL DEFAULT '',
    finished_at TEXT,
    UNIQUE (stream_id, id)
);
CREATE INDEX deliveries_runnable ON deliveries (state, stream_id, seq);

-- +goose Down
DROP TABLE deliveries;
DROP TABLE streams;
DROP TABLE signing_keys;
