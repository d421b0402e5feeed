-- The HTTP API's bearer tokens. Only the SHA-256 of a secret is kept;
-- scopes is a JSON object (store.TokenScopes), NULL for none.

-- +goose Up
CREATE TABLE api_tokens (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    secret_hash  TEXT NOT NULL UNIQUE,
    role         TEXT NOT NULL,
    scopes       TEXT,
    created_by   TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    last_used_at TEXT,
    revoked_at   TEXT,
    revoked_by   TEXT NOT NULL DEFAULT ''
);

-- +goose Down
DROP TABLE api_tokens;
