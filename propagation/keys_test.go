package propagation

import (
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jws"
)

func TestARotatedKeySignsWhileTheOldOneStaysPublishedForTheGrace(t *testing.T) {
	r := newRig(t, Config{KeyGrace: time.Hour}, PushConfig{})
	rc := newReceiver(t, r.srv.URL, "https://gateway.example")
	stream := r.pushStream(rc)
	r.revoke("rev-1")
	oldSET := r.deliveries(stream, "")[0].Body
	r.pushAll()

	r.clock.advance(time.Minute)
	newKid, err := r.tx.Keys().Rotate(t.Context())
	must(t, err)
	r.revoke("rev-2")
	r.pushAll()
	got := rc.received()
	if len(got) != 2 || got[0].kid == newKid || got[1].kid != newKid {
		t.Fatalf("kids = %s, %s; want the old key then %s", got[0].kid,
			got[1].kid, newKid)
	}
	keys, err := fetchJWKS(r.srv.URL)
	must(t, err)
	if keys.Len() != 2 {
		t.Fatalf("JWKS during the grace holds %d keys, want 2", keys.Len())
	}

	r.clock.advance(time.Hour + time.Second)
	keys, err = fetchJWKS(r.srv.URL)
	must(t, err)
	if keys.Len() != 1 {
		t.Fatalf("JWKS after the grace holds %d keys, want 1", keys.Len())
	}
	if _, err := jws.Verify(oldSET, jws.WithKeySet(keys)); err == nil {
		t.Fatal("a SET of the retired key still verifies after the grace")
	}
	n, err := r.tx.Keys().Prune(t.Context())
	must(t, err)
	if n != 1 {
		t.Fatalf("pruned %d keys, want the retired one", n)
	}
}

func TestRS256KeysSignAndVerifyToo(t *testing.T) {
	r := newRig(t, Config{Algorithm: "RS256"}, PushConfig{})
	rc := newReceiver(t, r.srv.URL, "https://gateway.example")
	stream := r.pushStream(rc)
	r.revoke("rev-1")
	r.pushAll()
	if len(rc.received()) != 1 {
		t.Fatal("the RS256-signed SET did not verify")
	}
	msg, err := jws.Parse(r.deliveries(stream, "")[0].Body)
	must(t, err)
	alg, _ := msg.Signatures()[0].ProtectedHeaders().Algorithm()
	if alg.String() != "RS256" {
		t.Fatalf("alg = %s", alg)
	}
}

func TestTheJWKSHoldsNoPrivateKeyMaterial(t *testing.T) {
	r := newRig(t, Config{Algorithm: "RS256"}, PushConfig{})
	resp, body := r.call("GET", PathJWKS, nil)
	if resp != 200 {
		t.Fatalf("GET jwks = %d", resp)
	}
	for _, private := range []string{`"d"`, `"p"`, `"q"`, `"dp"`, `"dq"`, `"qi"`} {
		if strings.Contains(string(body), private) {
			t.Fatalf("JWKS holds private member %s: %s", private, body)
		}
	}
}
