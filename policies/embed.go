// Package policies is the shipped response policy library: the Rego
// package killswitch.response that decides what killswitch does about
// one signal, and the Rego unit tests that pin its behaviour.
//
// main.rego builds data.killswitch.response.decision from the partial set
// candidate_actions, which one file per scenario fills (secret_exposure,
// exposure_age, threat, travel, login_attack, new_network, agent_scope,
// deprovisioned, session_revoked, credential_change, account_compromise),
// drops every action on a break-glass principal and keeps one action per
// kind, target and scope. sweep.rego defines
// data.killswitch.sweep.decision from the same rules. data.json holds the
// thresholds, severities, lists, networks, agent scopes, break-glass
// principals and modes the rules read as data.killswitch. Files ending in
// _test.rego are the unit tests; rules.Load leaves them out of the set it
// evaluates, rules.RunTests runs them. README.md is the authors' guide.
package policies

import "embed"

// FS holds every .rego file of the library, tests included, at the root.
//
//go:embed *.rego data.json
var FS embed.FS
