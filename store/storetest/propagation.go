package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// privateDER stands for a key's PKCS #8 bytes; the store keeps them as
// they are.
const privateDER = "\x30\x81\x87PRIVATE-KEY-MATERIAL\x00\xff"

var keyTests = []test{
	{"rotating a signing key retires the active one at the new " +
		"one's creation", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		must(t, s.RotateSigningKey(ctx, store.SigningKey{ID: "k1",
			Algorithm: "ES256", Private: privateDER, CreatedAt: second(0)}))
		must(t, s.RotateSigningKey(ctx, store.SigningKey{ID: "k2",
			Algorithm: "RS256", Private: "other", CreatedAt: second(10)}))
		keys, err := s.ListSigningKeys(ctx)
		must(t, err)
		equal(t, "keys", keys, []store.SigningKey{
			{ID: "k2", Algorithm: "RS256", Private: "other", CreatedAt: second(10)},
			{ID: "k1", Algorithm: "ES256", Private: privateDER,
				CreatedAt: second(0), RetiredAt: second(10)},
		})
	}},
	{"pruning deletes only keys retired before the cutoff", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		for i, id := range []string{"k1", "k2", "k3"} {
			must(t, s.RotateSigningKey(ctx, store.SigningKey{ID: id,
				Algorithm: "ES256", Private: privateDER,
				CreatedAt: second(10 * i)}))
		}
		n, err := s.PruneSigningKeys(ctx, second(15))
		must(t, err)
		keys, err := s.ListSigningKeys(ctx)
		must(t, err)
		if n != 1 {
			t.Fatalf("pruned %d keys, want 1", n)
		}
		equal(t, "kept", ids(keys, func(k store.SigningKey) string { return k.ID }),
			[]string{"k3", "k2"})
	}},
	{"a signing key without an algorithm we sign with is refused", func(t *testing.T, s store.Store) {
		err := s.RotateSigningKey(t.Context(), store.SigningKey{ID: "k1",
			Algorithm: "HS256", Private: privateDER, CreatedAt: base})
		wantField(t, err, "alg")
	}},
	{"a private key and a stream's secrets never print", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		must(t, s.RotateSigningKey(ctx, store.SigningKey{ID: "k1",
			Algorithm: "ES256", Private: privateDER, CreatedAt: base}))
		must(t, s.PutStream(ctx, pushStream("s1")))
		keys, err := s.ListSigningKeys(ctx)
		must(t, err)
		st, err := s.GetStream(ctx, "s1")
		must(t, err)
		j1, _ := json.Marshal(keys)
		j2, _ := json.Marshal(st)
		out := fmt.Sprintf("%v %+v %#v %s %v %+v %#v %s", keys, keys, keys,
			j1, st, st, st, j2)
		for _, secret := range []string{"PRIVATE-KEY-MATERIAL",
			"Bearer receiver-SECRET", "hmac-SECRET"} {
			if strings.Contains(out, secret) {
				t.Fatalf("%q printed: %s", secret, out)
			}
		}
		if keys[0].Private.Reveal() != privateDER ||
			st.Authorization.Reveal() != "Bearer receiver-SECRET" {
			t.Fatal("the secrets did not read back")
		}
	}},
}

func pushStream(id string) store.Stream {
	return store.Stream{ID: id, Audience: []string{"https://rp.example"},
		Method: store.DeliveryPush, EndpointURL: "https://rp.example/ssf",
		Authorization:   "Bearer receiver-SECRET",
		SigningSecret:   "hmac-SECRET",
		EventsRequested: []string{"a", "b"}, EventsDelivered: []string{"a"},
		Status: store.StreamEnabled, CreatedAt: second(0),
		UpdatedAt: second(0)}
}

var streamTests = []test{
	{"a stream reads back as it was put, and a second put replaces it", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		st := pushStream("s1")
		st.Excluded = []json.RawMessage{json.RawMessage(`{"format":"opaque","id":"p1"}`)}
		must(t, s.PutStream(ctx, st))
		got, err := s.GetStream(ctx, "s1")
		must(t, err)
		equal(t, "stream", got, st)
		st.Status, st.StatusReason, st.UpdatedAt = store.StreamPaused, "maintenance", second(5)
		st.Excluded = nil
		must(t, s.PutStream(ctx, st))
		all, err := s.ListStreams(ctx)
		must(t, err)
		equal(t, "streams", all, []store.Stream{st})
	}},
	{"a stream needs a known delivery method and, unless polled, " +
		"an endpoint", func(t *testing.T, s store.Store) {
		st := pushStream("s1")
		st.Method = "urn:example:carrier-pigeon"
		wantField(t, s.PutStream(t.Context(), st), "method")
		st = pushStream("s1")
		st.EndpointURL = ""
		wantField(t, s.PutStream(t.Context(), st), "endpoint_url")
		st.Method = store.DeliveryPoll
		must(t, s.PutStream(t.Context(), st))
	}},
	{"concurrent updates of a stream all apply; an unknown one is " +
		"not found and a failed change writes nothing", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		must(t, s.PutStream(ctx, pushStream("s1")))
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				_, err := s.UpdateStream(ctx, "s1", func(st *store.Stream) error {
					st.Excluded = append(st.Excluded, json.RawMessage(
						fmt.Sprintf(`{"format":"opaque","id":"p%d"}`, i)))
					return nil
				})
				if err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		got, err := s.GetStream(ctx, "s1")
		must(t, err)
		equal(t, "subjects excluded", len(got.Excluded), 8)
		refused := errors.New("refused")
		_, err = s.UpdateStream(ctx, "s1", func(st *store.Stream) error {
			st.Description = "changed"
			return refused
		})
		wantErr(t, err, refused)
		got, err = s.GetStream(ctx, "s1")
		must(t, err)
		equal(t, "description", got.Description, "")
		_, err = s.UpdateStream(ctx, "nope", func(*store.Stream) error { return nil })
		wantErr(t, err, store.ErrNotFound)
	}},
	{"deleting a stream deletes its deliveries; an unknown one is " +
		"not found", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		must(t, s.PutStream(ctx, pushStream("s1")))
		must(t, s.EnqueueDeliveries(ctx, []store.Delivery{delivery("s1", "j1", 0)}))
		must(t, s.DeleteStream(ctx, "s1"))
		ds, err := s.ListDeliveries(ctx, store.DeliveryFilter{})
		must(t, err)
		if len(ds) != 0 {
			t.Fatalf("%d deliveries left", len(ds))
		}
		wantErr(t, s.DeleteStream(ctx, "s1"), store.ErrNotFound)
		_, err = s.GetStream(ctx, "s1")
		wantErr(t, err, store.ErrNotFound)
	}},
}

func delivery(stream, id string, at int) store.Delivery {
	return store.Delivery{ID: id, StreamID: stream, EventType: "ev",
		Body: []byte("body-of-" + id), CreatedAt: second(at)}
}

var deliveryTests = []test{
	{"the same delivery queued twice is queued once; an unknown " +
		"stream is refused", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		must(t, s.PutStream(ctx, pushStream("s1")))
		d := delivery("s1", "j1", 0)
		must(t, s.EnqueueDeliveries(ctx, []store.Delivery{d}))
		again := d
		again.Body = []byte("changed")
		must(t, s.EnqueueDeliveries(ctx, []store.Delivery{again}))
		ds, err := s.ListDeliveries(ctx, store.DeliveryFilter{StreamID: "s1"})
		must(t, err)
		equal(t, "deliveries", ds, []store.Delivery{{ID: "j1", StreamID: "s1",
			EventType: "ev", Body: []byte("body-of-j1"),
			State: store.DeliveryPending, CreatedAt: second(0)}})
		err = s.EnqueueDeliveries(ctx, []store.Delivery{delivery("nope", "j2", 0)})
		wantField(t, err, "stream_id")
	}},
	{"a push claim takes pushed streams' deliveries, never polled " +
		"or paused ones", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		poll, paused := pushStream("poll"), pushStream("paused")
		poll.Method = store.DeliveryPoll
		paused.Status = store.StreamPaused
		for _, st := range []store.Stream{pushStream("push"), poll, paused} {
			must(t, s.PutStream(ctx, st))
			must(t, s.EnqueueDeliveries(ctx, []store.Delivery{delivery(st.ID, "j", 0)}))
		}
		got, err := s.ClaimDeliveries(ctx, store.DeliveryClaim{Owner: "w",
			Now: second(1), Lease: time.Minute, Limit: 10})
		must(t, err)
		equal(t, "claimed streams", ids(got, func(d store.Delivery) string { return d.StreamID }),
			[]string{"push"})
		if got[0].State != store.DeliveryRunning || got[0].Attempts != 1 ||
			!got[0].LeaseUntil.Equal(second(61)) {
			t.Fatalf("claimed = %+v, want running, 1 attempt, lease to +61s", got[0])
		}
		must(t, s.PutStream(ctx, pushStream("busy")))
		must(t, s.EnqueueDeliveries(ctx, []store.Delivery{
			delivery("busy", "j", 0), delivery("push", "j2", 0)}))
		got, err = s.ClaimDeliveries(ctx, store.DeliveryClaim{Owner: "w",
			Except: []string{"busy"}, Now: second(1), Lease: time.Minute, Limit: 10})
		must(t, err)
		equal(t, "claimed except busy", ids(got, func(d store.Delivery) string { return d.ID }),
			[]string{"j2"})
		got, err = s.ClaimDeliveries(ctx, store.DeliveryClaim{Owner: "w",
			StreamID: "poll", Now: second(1), Lease: time.Minute, Limit: 10})
		must(t, err)
		equal(t, "polled streams", ids(got, func(d store.Delivery) string { return d.StreamID }),
			[]string{"poll"})
	}},
	{"a claimed delivery is claimed again only when its lease lapses", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		must(t, s.PutStream(ctx, pushStream("s1")))
		must(t, s.EnqueueDeliveries(ctx, []store.Delivery{delivery("s1", "j1", 0)}))
		c := store.DeliveryClaim{Owner: "w", Now: second(1), Lease: time.Minute, Limit: 5}
		_, err := s.ClaimDeliveries(ctx, c)
		must(t, err)
		c.Now = second(30)
		got, err := s.ClaimDeliveries(ctx, c)
		must(t, err)
		if len(got) != 0 {
			t.Fatalf("claimed %d inside the lease", len(got))
		}
		c.Now = second(62)
		got, err = s.ClaimDeliveries(ctx, c)
		must(t, err)
		if len(got) != 1 || got[0].Attempts != 2 {
			t.Fatalf("claimed %+v after the lease, want j1 on its 2nd attempt", got)
		}
	}},
	{"a retried delivery waits for its time and keeps its error", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		must(t, s.PutStream(ctx, pushStream("s1")))
		must(t, s.EnqueueDeliveries(ctx, []store.Delivery{delivery("s1", "j1", 0)}))
		c := store.DeliveryClaim{Owner: "w", Now: second(1), Lease: time.Minute, Limit: 5}
		_, err := s.ClaimDeliveries(ctx, c)
		must(t, err)
		must(t, s.RetryDelivery(ctx, "s1", "j1", "503 from receiver", second(20)))
		c.Now = second(10)
		got, err := s.ClaimDeliveries(ctx, c)
		must(t, err)
		if len(got) != 0 {
			t.Fatal("claimed before its time")
		}
		c.Now = second(20)
		got, err = s.ClaimDeliveries(ctx, c)
		must(t, err)
		if len(got) != 1 || got[0].LastError != "503 from receiver" {
			t.Fatalf("claimed %+v, want j1 with its last error", got)
		}
		wantErr(t, s.RetryDelivery(ctx, "s1", "nope", "", second(30)), store.ErrNotFound)
	}},
	{"finishing moves only deliveries not yet final, and says how many", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		must(t, s.PutStream(ctx, pushStream("s1")))
		must(t, s.EnqueueDeliveries(ctx, []store.Delivery{
			delivery("s1", "j1", 0), delivery("s1", "j2", 1)}))
		n, err := s.FinishDeliveries(ctx, "s1", []string{"j1", "nope"},
			store.DeliveryDone, "", second(5))
		must(t, err)
		n2, err := s.FinishDeliveries(ctx, "s1", []string{"j1"},
			store.DeliveryFailed, "late", second(6))
		must(t, err)
		if n != 1 || n2 != 0 {
			t.Fatalf("finished %d then %d, want 1 then 0", n, n2)
		}
		done, err := s.ListDeliveries(ctx, store.DeliveryFilter{State: store.DeliveryDone})
		must(t, err)
		if len(done) != 1 || done[0].ID != "j1" || !done[0].FinishedAt.Equal(second(5)) {
			t.Fatalf("done = %+v, want j1 finished at +5s", done)
		}
		_, err = s.FinishDeliveries(ctx, "s1", []string{"j2"}, store.DeliveryPending, "", second(7))
		wantField(t, err, "state")
	}},
	{"expiring fails the deliveries queued before the cutoff that " +
		"nobody holds", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		must(t, s.PutStream(ctx, pushStream("s1")))
		must(t, s.EnqueueDeliveries(ctx, []store.Delivery{
			delivery("s1", "held", 0), delivery("s1", "lapsed", 1),
			delivery("s1", "old", 2), delivery("s1", "new", 20)}))
		// Claimed oldest first: held for an hour, lapsed for a second.
		for _, lease := range []time.Duration{time.Hour, time.Second} {
			_, err := s.ClaimDeliveries(ctx, store.DeliveryClaim{Owner: "w",
				StreamID: "s1", Now: second(3), Lease: lease, Limit: 1})
			must(t, err)
		}
		n, err := s.ExpireDeliveries(ctx, second(10), "too late", second(30))
		must(t, err)
		failed, err := s.ListDeliveries(ctx, store.DeliveryFilter{
			State: store.DeliveryFailed})
		must(t, err)
		equal(t, "expired", n, 2)
		equal(t, "failed", ids(failed, func(d store.Delivery) string {
			return d.ID + ":" + d.LastError
		}), []string{"lapsed:too late", "old:too late"})
	}},
	{"pruning deletes only deliveries finished before the cutoff", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		must(t, s.PutStream(ctx, pushStream("s1")))
		must(t, s.EnqueueDeliveries(ctx, []store.Delivery{delivery("s1", "old", 0),
			delivery("s1", "new", 1), delivery("s1", "open", 2)}))
		_, err := s.FinishDeliveries(ctx, "s1", []string{"old"}, store.DeliveryFailed, "x", second(10))
		must(t, err)
		_, err = s.FinishDeliveries(ctx, "s1", []string{"new"}, store.DeliveryDone, "", second(20))
		must(t, err)
		n, err := s.PruneDeliveries(ctx, second(15))
		must(t, err)
		left, err := s.ListDeliveries(ctx, store.DeliveryFilter{})
		must(t, err)
		if n != 1 {
			t.Fatalf("pruned %d, want 1", n)
		}
		equal(t, "left", ids(left, func(d store.Delivery) string { return d.ID }),
			[]string{"new", "open"})
	}},
}
