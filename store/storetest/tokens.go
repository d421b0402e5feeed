package storetest

import (
	"testing"

	"github.com/killswitch-dev/killswitch/store"
)

var tokenTests = []test{
	{"A token reads back by its secret hash as it was written",
		tokenRoundTrip},
	{"An unknown secret hash is not found", tokenUnknown},
	{"A second token with the same id or secret hash is a conflict",
		tokenConflict},
	{"A token without a name or role is invalid", tokenInvalid},
	{"Revoking a token keeps it listed with who and when, once",
		tokenRevoke},
	{"Revoking an unknown token is not found", tokenRevokeUnknown},
	{"A use is recorded and an older one does not overwrite it",
		tokenTouch},
}

// token is a viewer token with that id whose secret hash is hash.
func token(id, hash string) store.APIToken {
	return store.APIToken{ID: id, Name: "ci " + id, SecretHash: hash,
		Role: "viewer", CreatedBy: "operator:ana", CreatedAt: base}
}

// tokenByHash reads a token back by its hash.
func tokenByHash(t *testing.T, s store.Store, hash string) store.APIToken {
	t.Helper()
	tok, err := s.APITokenByHash(t.Context(), hash)
	must(t, err)
	return tok
}

func tokenRoundTrip(t *testing.T, s store.Store) {
	tok := token("tok_1", "aa11")
	tok.Scopes = store.TokenScopes{
		PrincipalKinds: []store.PrincipalKind{store.KindServiceAccount},
		Providers:      []string{"okta", "vault"}}
	tok.ExpiresAt = base.Add(24 * 3600e9)
	must(t, s.CreateAPIToken(t.Context(), tok))
	must(t, s.CreateAPIToken(t.Context(), token("tok_2", "bb22")))

	want := tok
	want.CreatedAt, want.ExpiresAt = at(0), at(24*3600e9)
	equal(t, "token", tokenByHash(t, s, "aa11"), want)
	list, err := s.ListAPITokens(t.Context())
	must(t, err)
	equal(t, "listed ids", ids(list, tokenID), []string{"tok_1", "tok_2"})
	equal(t, "listed secret hash", list[0].SecretHash, "aa11")
}

// tokenID names a token for ids.
func tokenID(t store.APIToken) string { return t.ID }

func tokenUnknown(t *testing.T, s store.Store) {
	must(t, s.CreateAPIToken(t.Context(), token("tok_1", "aa11")))
	_, err := s.APITokenByHash(t.Context(), "cc33")
	wantErr(t, err, store.ErrNotFound)
}

func tokenConflict(t *testing.T, s store.Store) {
	must(t, s.CreateAPIToken(t.Context(), token("tok_1", "aa11")))
	err := s.CreateAPIToken(t.Context(), token("tok_1", "bb22"))
	wantErr(t, err, store.ErrConflict)
	err = s.CreateAPIToken(t.Context(), token("tok_2", "aa11"))
	wantErr(t, err, store.ErrConflict)
	equal(t, "first token kept", tokenByHash(t, s, "aa11").ID, "tok_1")
}

func tokenInvalid(t *testing.T, s store.Store) {
	tok := token("tok_1", "aa11")
	tok.Name = ""
	wantField(t, s.CreateAPIToken(t.Context(), tok), "name")
	tok = token("tok_1", "aa11")
	tok.Role = ""
	wantField(t, s.CreateAPIToken(t.Context(), tok), "role")
}

func tokenRevoke(t *testing.T, s store.Store) {
	must(t, s.CreateAPIToken(t.Context(), token("tok_1", "aa11")))
	changed, err := s.RevokeAPIToken(t.Context(), "tok_1", "operator:bo",
		second(5))
	must(t, err)
	equal(t, "changed", changed, true)
	changed, err = s.RevokeAPIToken(t.Context(), "tok_1", "operator:cy",
		second(9))
	must(t, err)
	equal(t, "changed again", changed, false)

	got := tokenByHash(t, s, "aa11")
	equal(t, "revoked", []any{got.RevokedAt, got.RevokedBy},
		[]any{second(5), "operator:bo"})
	equal(t, "usable", got.Usable(second(6)), false)
}

func tokenRevokeUnknown(t *testing.T, s store.Store) {
	_, err := s.RevokeAPIToken(t.Context(), "tok_9", "operator:bo", base)
	wantErr(t, err, store.ErrNotFound)
}

func tokenTouch(t *testing.T, s store.Store) {
	must(t, s.CreateAPIToken(t.Context(), token("tok_1", "aa11")))
	must(t, s.TouchAPIToken(t.Context(), "tok_1", second(10)))
	must(t, s.TouchAPIToken(t.Context(), "tok_1", second(3)))
	equal(t, "last used", tokenByHash(t, s, "aa11").LastUsedAt, second(10))
}
