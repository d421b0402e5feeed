// Package policies is the shipped response policy library: the Rego
// package killswitch.response that decides what killswitch does about
// one signal, and the Rego unit tests that pin its behaviour.
//
// main.rego builds data.killswitch.response.decision from the partial set
// candidate_actions, which one file per scenario fills (secret_exposure,
// threat, session_revoked, account_compromise), and drops every action on
// a break-glass principal. Files ending in _test.rego are the unit tests;
// rules.Load leaves them out of the set it evaluates, rules.RunTests runs
// them.
package policies

import "embed"

// FS holds every .rego file of the library, tests included, at the root.
//
//go:embed *.rego
var FS embed.FS
