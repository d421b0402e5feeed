package engine

import (
	"context"
	"slices"
	"testing"
)

func TestUnmatchedNamesTheProtectedNamesThatNameNoPrincipal(t *testing.T) {
	st := demoStore(t)
	g := Guardrails{Protected: []string{
		"alice",              // an id
		"FRANK",              // an id in another case
		"Alice@Example.com",  // an alias in another case
		"support-agent-prod", // an alias exactly
		"deploy-bto",         // a typo
		" nobody ",           // no one at all
	}}
	got, err := g.Unmatched(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"deploy-bto", " nobody "}
	if !slices.Equal(got, want) {
		t.Fatalf("Unmatched = %q, want %q", got, want)
	}
}

func TestUnmatchedIsEmptyWhenEveryNameMatches(t *testing.T) {
	st := demoStore(t)
	g := Guardrails{Protected: []string{"Deploy-Bot", "frank@example.com"}}
	got, err := g.Unmatched(context.Background(), st)
	if err != nil || len(got) != 0 {
		t.Fatalf("Unmatched = %q, %v; want none", got, err)
	}
}
