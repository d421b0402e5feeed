package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/killswitch-dev/killswitch/api/introspect"
	"github.com/killswitch-dev/killswitch/api/revstream"
	"github.com/killswitch-dev/killswitch/store"
)

// Routes the generated server leaves out (oapi-codegen.yaml): they are
// served by packages introspect and revstream directly, one from memory
// on every gateway request, the other as a stream. The guard in front
// authenticates and checks roles as for every route.
const (
	routeIntrospect  = "POST " + BasePath + "/introspect"
	routeRevocations = "GET " + BasePath + "/revocations/stream"
)

// mountOps mounts the introspection, revocation stream and alert
// routes.
func (s *Server) mountOps(router *http.ServeMux) {
	router.Handle(routeIntrospect, s.introspection())
	router.HandleFunc(routeRevocations, s.revocations)
	router.HandleFunc(routeAlerts, s.postAlerts)
	router.HandleFunc(routeSETPush, s.pushSET)
}

func (s *Server) introspection() http.Handler {
	x := s.ops.Introspection
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if x == nil {
			writeProblem(w, r, unavailable("the introspection index"))
			return
		}
		req, err := introspect.DecodeRequest(r.Body)
		if err != nil {
			writeProblem(w, r, problem(ProblemCodeInvalidBody, err.Error()))
			return
		}
		c, _ := CallerFrom(r.Context())
		a, err := x.Answer(req, answerScope(c))
		if err != nil {
			w.Header().Set("Retry-After", "1")
			writeProblem(w, r, problem(ProblemCodeUnavailable, err.Error()))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		json.NewEncoder(w).Encode(a)
	})
}

// answerScope is what introspection may tell c about: nil, everything,
// for a caller without scopes.
func answerScope(c Caller) introspect.Allow {
	if len(c.Scopes.PrincipalKinds) == 0 && len(c.Scopes.Providers) == 0 {
		return nil
	}
	return func(k store.PrincipalKind, p string) bool {
		return k != "" && c.InScope(k, p)
	}
}

func (s *Server) revocations(w http.ResponseWriter, r *http.Request) {
	st := s.ops.Revocations
	if st == nil {
		writeProblem(w, r, unavailable("the revocation stream"))
		return
	}
	after, err := st.Start(r)
	var bad *revstream.BadIDError
	switch {
	case errors.As(err, &bad):
		writeProblem(w, r, badParam(bad.Param, bad.Value, bad.Reason))
		return
	case err != nil:
		s.log.Warn("revocation stream", "err", err)
		w.Header().Set("Retry-After", "1")
		writeProblem(w, r, problem(ProblemCodeUnavailable,
			"the revocation log cannot be read now; retry"))
		return
	}
	release, err := st.Admit()
	if err != nil {
		w.Header().Set("Retry-After", "5")
		writeProblem(w, r, problem(ProblemCodeUnavailable, err.Error()))
		return
	}
	defer release()
	c, _ := CallerFrom(r.Context())
	ctx, stop := s.whileTokenHolds(r.Context(), c)
	defer stop()
	st.Follow(w, r.WithContext(ctx), after, s.entryScope(ctx, c))
}

// whileTokenHolds is ctx, ended as soon as c's token is revoked or
// expires, for a request that lasts (a stream): no answer outlives its
// token. Its token is rechecked every Ops.TokenRecheck; a store error
// keeps the stream.
func (s *Server) whileTokenHolds(ctx context.Context,
	c Caller) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		tick := time.NewTicker(s.ops.TokenRecheck)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			_, err := s.auth.Recheck(ctx, c)
			if authCode(err) != "" {
				s.log.Info("stream closed: its token no longer holds",
					"token_id", c.TokenID, "err", err)
				cancel()
				return
			}
		}
	}()
	return ctx, cancel
}

// entryScope is what of the revocation log c may see: entries about
// sessions and credentials of its kinds and providers, about principals
// of its kinds when it is not scoped to providers, and about devices
// and origins only without scopes. Nil allows everything.
func (s *Server) entryScope(ctx context.Context, c Caller) revstream.Allow {
	sc := callerScope{c}
	if sc.AllowsKind("") && sc.AllowsProvider("") {
		return nil
	}
	kind := func(id string) store.PrincipalKind {
		if x := s.ops.Introspection; x != nil {
			if k, ok := x.PrincipalKind(id); ok {
				return k
			}
		}
		p, err := s.st.GetPrincipal(ctx, id)
		if err != nil {
			return ""
		}
		return p.Kind
	}
	return func(e store.RevocationEntry) bool {
		switch e.Type {
		case store.EntrySessionRevoked, store.EntryCredentialRevoked:
			k := kind(e.PrincipalID)
			return k != "" && c.InScope(k, e.Provider)
		}
		if e.PrincipalID == "" || e.LockTargetType == "credential" {
			return false
		}
		k := kind(e.PrincipalID)
		return k != "" && sc.AllowsKind(k) && sc.AllowsProvider("")
	}
}

// queryRoutes are the routes the spec marks x-read-only.
func queryRoutes(doc []byte) map[string]bool {
	var spec struct {
		Paths map[string]map[string]struct {
			ReadOnly bool `json:"x-read-only"`
		} `json:"paths"`
	}
	out := map[string]bool{}
	if json.Unmarshal(doc, &spec) != nil {
		return out
	}
	for path, ops := range spec.Paths {
		for method, op := range ops {
			if op.ReadOnly {
				out[strings.ToUpper(method)+" "+BasePath+path] = true
			}
		}
	}
	return out
}
