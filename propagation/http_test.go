package propagation

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/store"
)

func TestTheConfigurationNamesEveryEndpointUnderTheIssuer(t *testing.T) {
	r := newRig(t, Config{}, PushConfig{})
	var meta map[string]any
	must(t, getJSON(r.srv.URL+PathConfiguration, &meta))
	iss := r.srv.URL
	want := map[string]string{"issuer": iss, "spec_version": "1_0",
		"jwks_uri": iss + PathJWKS, "configuration_endpoint": iss + PathStreams,
		"status_endpoint": iss + PathStatus, "verification_endpoint": iss + PathVerify,
		"add_subject_endpoint":    iss + PathAddSubject,
		"remove_subject_endpoint": iss + PathRemoveSubject}
	for k, v := range want {
		if meta[k] != v {
			t.Errorf("%s = %v, want %s", k, meta[k], v)
		}
	}
	keys, err := fetchJWKS(iss)
	must(t, err)
	if keys.Len() != 1 {
		t.Fatalf("JWKS holds %d keys, want the first one, made on demand", keys.Len())
	}
}

func TestStreamManagementWithoutATokenIsRefused(t *testing.T) {
	r := newRig(t, Config{}, PushConfig{})
	for _, p := range []string{PathStreams, PathStatus + "?stream_id=x", PathWebhooks} {
		resp, err := http.Get(r.srv.URL + p)
		must(t, err)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET %s without a token = %d, want 401", p, resp.StatusCode)
		}
	}
}

func TestAStreamIsCreatedReadUpdatedReplacedAndDeleted(t *testing.T) {
	r := newRig(t, Config{}, PushConfig{})
	cfg := r.createStream(map[string]any{"aud": "https://rp.example",
		"delivery": map[string]any{"method": store.DeliveryPush,
			"endpoint_url":         "https://rp.example/events",
			"authorization_header": "Bearer rp-SECRET"},
		"events_requested": []string{EventSessionRevoked, "urn:example:unknown"},
		"description":      "gateway"})
	id := cfg["stream_id"].(string)
	if cfg["iss"] != r.srv.URL || cfg["aud"] != "https://rp.example" {
		t.Fatalf("created = %v, want our iss and their aud", cfg)
	}
	if got := strs(cfg["events_delivered"]); !slices.Equal(got, []string{EventSessionRevoked}) {
		t.Fatalf("events_delivered = %v, want the supported one requested", got)
	}

	var read map[string]any
	r.callOK(200, "GET", PathStreams+"?stream_id="+id, nil, &read)
	if strings.Contains(string(mustJSON(read)), "rp-SECRET") {
		t.Fatalf("the authorization header read back: %v", read)
	}
	var patched map[string]any
	r.callOK(200, "PATCH", PathStreams, map[string]any{"stream_id": id,
		"description": "edge gateway"}, &patched)
	if patched["description"] != "edge gateway" ||
		len(strs(patched["events_delivered"])) != 1 {
		t.Fatalf("patched = %v, want the new description and the same events", patched)
	}
	var replaced map[string]any
	r.callOK(200, "PUT", PathStreams, map[string]any{"stream_id": id,
		"delivery": map[string]any{"method": store.DeliveryPoll}}, &replaced)
	d := replaced["delivery"].(map[string]any)
	if d["endpoint_url"] != r.srv.URL+PathPoll+id || replaced["description"] != "" ||
		len(strs(replaced["events_delivered"])) != 0 {
		t.Fatalf("replaced = %v, want a poll stream with nothing else kept", replaced)
	}
	st, err := r.store.GetStream(t.Context(), id)
	must(t, err)
	if st.Authorization != "" {
		t.Fatal("replacing with poll kept the push authorization header")
	}

	r.callOK(204, "DELETE", PathStreams+"?stream_id="+id, nil, nil)
	r.callOK(404, "GET", PathStreams+"?stream_id="+id, nil, nil)
}

func strs(v any) []string {
	var out []string
	l, _ := v.([]any)
	for _, x := range l {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func TestABadStreamConfigurationIsRefusedNamingTheField(t *testing.T) {
	r := newRig(t, Config{}, PushConfig{})
	cases := []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"a push stream needs an endpoint", map[string]any{
			"delivery": map[string]any{"method": store.DeliveryPush}},
			"delivery.endpoint_url"},
		{"an unknown delivery method", map[string]any{
			"delivery": map[string]any{"method": "urn:example:pigeon"}},
			"delivery.method"},
		{"an endpoint that is no URL", map[string]any{
			"delivery": map[string]any{"method": store.DeliveryPush,
				"endpoint_url": "not a url"}}, "delivery.endpoint_url"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := r.call("POST", PathStreams, tc.body)
			if status != 400 || !strings.Contains(string(body), tc.field) {
				t.Fatalf("= %d %s, want 400 naming %s", status, body, tc.field)
			}
		})
	}
}

func TestAPausedStreamHoldsItsEventsAndADisabledOneDropsThem(t *testing.T) {
	r := newRig(t, Config{}, PushConfig{})
	rc := newReceiver(t, r.srv.URL, "https://gateway.example")
	id := r.pushStream(rc)
	setStatus := func(status string) {
		var got map[string]any
		r.callOK(200, "POST", PathStatus, map[string]any{"stream_id": id,
			"status": status, "reason": "maintenance"}, &got)
		if got["status"] != status {
			t.Fatalf("status = %v, want %s", got, status)
		}
	}
	setStatus(store.StreamPaused)
	r.revoke("rev-1")
	r.pushAll()
	if len(rc.received()) != 0 {
		t.Fatal("a paused stream was pushed to")
	}
	setStatus(store.StreamEnabled)
	r.pushAll()
	if len(rc.received()) != 1 {
		t.Fatal("the held SET did not go out when the stream was enabled")
	}
	setStatus(store.StreamDisabled)
	r.revoke("rev-2")
	if ds := r.deliveries(id, store.DeliveryPending); len(ds) != 0 {
		t.Fatalf("%d deliveries queued for a disabled stream", len(ds))
	}
	var st map[string]any
	r.callOK(200, "GET", PathStatus+"?stream_id="+id, nil, &st)
	if st["status"] != store.StreamDisabled || st["reason"] != "maintenance" {
		t.Fatalf("status read back = %v", st)
	}
}

func TestARemovedSubjectGetsNoEventsUntilAddedBack(t *testing.T) {
	r := newRig(t, Config{}, PushConfig{})
	rc := newReceiver(t, r.srv.URL, "https://gateway.example")
	id := r.pushStream(rc)
	alice := map[string]any{"email": "alice@example.com", "format": "email"}
	r.callOK(204, "POST", PathRemoveSubject, map[string]any{"stream_id": id,
		"subject": alice}, nil)
	r.revoke("rev-1")
	r.pushAll()
	if len(rc.received()) != 0 {
		t.Fatal("a removed subject's session revocation was delivered")
	}
	r.callOK(200, "POST", PathAddSubject, map[string]any{"stream_id": id,
		"subject": alice, "verified": true}, nil)
	r.revoke("rev-2")
	r.pushAll()
	if len(rc.received()) != 1 {
		t.Fatal("the subject added back got nothing")
	}
	status, body := r.call("POST", PathAddSubject, map[string]any{
		"stream_id": id, "subject": map[string]any{"email": "x"}})
	if status != 400 || !strings.Contains(string(body), "format") {
		t.Fatalf("a subject without a format = %d %s, want 400", status, body)
	}
}

func TestAVerificationRequestSendsAVerificationEventWithTheState(t *testing.T) {
	r := newRig(t, Config{}, PushConfig{})
	rc := newReceiver(t, r.srv.URL, "https://gateway.example")
	id := r.pushStream(rc)
	r.callOK(204, "POST", PathVerify, map[string]any{"stream_id": id,
		"state": "VGhpcyBpcyBhbiBleGFtcGxl"}, nil)
	r.pushAll()
	got := rc.received()
	if len(got) != 1 {
		t.Fatalf("receiver got %d SETs, want the verification", len(got))
	}
	typ, m := event(t, got[0].claims)
	sub := got[0].claims["sub_id"].(map[string]any)
	if typ != EventVerification || m["state"] != "VGhpcyBpcyBhbiBleGFtcGxl" ||
		sub["format"] != "opaque" || sub["id"] != id {
		t.Fatalf("verification = %v", got[0].claims)
	}
}

func TestStreamChangesAreAuditedWithTheCallerAndWithoutSecrets(t *testing.T) {
	r := newRig(t, Config{}, PushConfig{})
	mux := http.NewServeMux()
	r.tx.Mount(mux, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			next.ServeHTTP(w, WithCaller(req, "token:ops"))
		})
	})
	r.srv.Config.Handler = mux
	cfg := r.createStream(map[string]any{"delivery": map[string]any{
		"method": store.DeliveryPush, "endpoint_url": "https://rp.example/?k=url-SECRET",
		"authorization_header": "Bearer hdr-SECRET"}})
	id := cfg["stream_id"].(string)
	r.callOK(200, "POST", PathStatus, map[string]any{"stream_id": id,
		"status": store.StreamPaused}, nil)
	r.callOK(204, "DELETE", PathStreams+"?stream_id="+id, nil, nil)

	entries, err := r.store.ListAudit(t.Context(), store.AuditFilter{Subject: id})
	must(t, err)
	var events []string
	for _, e := range entries {
		events = append(events, e.Event)
		if e.Actor != "token:ops" {
			t.Errorf("%s by %q, want the caller", e.Event, e.Actor)
		}
		if strings.Contains(string(e.Details), "SECRET") {
			t.Errorf("%s details hold a secret: %s", e.Event, e.Details)
		}
	}
	want := []string{EventStreamCreated, EventStreamStatus, EventStreamDeleted}
	if !slices.Equal(events, want) {
		t.Fatalf("audited %v, want %v", events, want)
	}
}

func TestConcurrentStreamChangesAreNotLost(t *testing.T) {
	r := newRig(t, Config{}, PushConfig{})
	id, _ := r.pollStream()
	const n = 12
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			status, body := r.call("POST", PathRemoveSubject, map[string]any{
				"stream_id": id, "subject": map[string]any{"format": "email",
					"email": fmt.Sprintf("user%d@example.com", i)}})
			if status != 204 {
				t.Errorf("remove subject %d = %d %s", i, status, body)
			}
		})
		wg.Go(func() {
			desc := fmt.Sprintf("change %d", i)
			status, body := r.call("PATCH", PathStreams, map[string]any{
				"stream_id": id, "description": desc})
			if status != 200 {
				t.Errorf("patch %d = %d %s", i, status, body)
			}
		})
	}
	wg.Wait()
	st, err := r.store.GetStream(t.Context(), id)
	must(t, err)
	if len(st.Excluded) != n {
		t.Fatalf("%d subjects excluded after %d concurrent removals beside "+
			"updates, want every one", len(st.Excluded), n)
	}
}

func TestASubjectRemovedByAnotherNameOfThePrincipalGetsNoEvents(t *testing.T) {
	cases := []struct {
		name    string
		subject map[string]any
	}{
		{"its email in another case", map[string]any{"format": "email",
			"email": "Alice@EXAMPLE.com"}},
		{"another of its email addresses", map[string]any{"format": "email",
			"email": "z.smith@example.com"}},
		{"its killswitch id", map[string]any{"format": "opaque", "id": "alice"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, Config{}, PushConfig{})
			must(t, r.store.PutAlias(t.Context(), store.Alias{Type: "email",
				Value: "z.smith@example.com", PrincipalID: "alice"}))
			rc := newReceiver(t, r.srv.URL, "https://gateway.example")
			id := r.pushStream(rc)
			r.callOK(204, "POST", PathRemoveSubject, map[string]any{
				"stream_id": id, "subject": c.subject}, nil)
			r.revoke("rev-1")
			must(t, r.tx.Publish(t.Context(), []engine.RevocationEvent{{
				ID: "c1", Type: "credential", TargetID: "alice-pw",
				PrincipalID: "alice", At: r.clock.Now(), By: "operator:bob"}}))
			r.pushAll()
			if got := rc.received(); len(got) != 0 {
				t.Fatalf("%d SETs about a removed subject were delivered", len(got))
			}
		})
	}
}
