-- E-mail addresses and user names resolve whatever their case
-- (store.CaseFoldedAliasTypes): ResolveAlias compares them with
-- COLLATE NOCASE, which this index serves.

-- +goose Up
CREATE INDEX aliases_value_nocase ON aliases (type, value COLLATE NOCASE);

-- +goose Down
DROP INDEX aliases_value_nocase;
