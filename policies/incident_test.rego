package killswitch.response_test

incident_signal(category, severity) := {
	"format": "sentinel",
	"category": category,
	"type": "Microsoft.SecurityInsights/incidents",
	"severity": severity,
	"time": now,
	"dedup_key": "sentinel:inc-1:t",
	"summary": "Password spray",
	"subjects": [{"type": "email", "value": "alice@example.com", "role": "target"}],
	"attributes": {"status": "active", "incident_number": "42"},
}

incident_input(category, severity, principals) := {
	"signal": incident_signal(category, severity),
	"principals": principals,
	"sessions": [session("s-1", "p-alice", "")],
	"credentials": [named(credential("alice-key", "p-alice", "active"))],
	"now": now,
}

test_incident_high_proposes_ending_sessions_for_approval if {
	d := decide(incident_input("threat", "high", [alice]))
	targets(d.actions) == {["revoke_sessions", "principal", "p-alice"]}
	d.actions[0].rule == "siem_incident"
	d.actions[0].reason == "Microsoft Sentinel incident 42 (Password spray, high) names Alice Smith (p-alice); ending all their sessions once a person approves"
	d.requires_approval == true
	d.severity == "high"
}

test_incident_medium_only_notifies_without_approval if {
	d := decide(incident_input("threat", "medium", [alice]))
	targets(d.actions) == {["notify", "principal", "p-alice"]}
	d.requires_approval == false
}

test_incident_claims_the_threat_from_the_generic_rule if {
	d := decide(incident_input("threat", "critical", [alice]))
	every a in d.actions {
		a.rule == "siem_incident"
	}
}

test_closed_incident_does_nothing if {
	d := decide(incident_input("other", "high", [alice]))
	d.actions == []
	d.requires_approval == false
}

test_incident_on_break_glass_asks_nothing if {
	d := decide(incident_input("threat", "high", [object.union(alice, {"break_glass": true})]))
	d.actions == []
	d.requires_approval == false
}

test_incident_naming_no_one_asks_nothing if {
	d := decide(incident_input("threat", "high", []))
	d.actions == []
	d.requires_approval == false
}

test_incident_format_list_comes_from_data if {
	d := decide(incident_input("threat", "high", [alice])) with data.killswitch.lists.incident_formats as []
	targets(d.actions) == {["revoke_sessions", "principal", "p-alice"]}
	d.actions[0].rule == "threat"
	d.requires_approval == false
}

test_splunk_alert_is_read_as_an_incident if {
	search := "Okta admin role granted outside a change window"
	inp := object.union(incident_input("threat", "high", [alice]), {"signal": {
		"format": "splunk",
		"type": search,
		"summary": search,
		"dedup_key": "splunk:sid-1:row",
		"attributes": {"search_name": search, "incident_number": null},
	}})
	d := decide(inp)
	targets(d.actions) == {["revoke_sessions", "principal", "p-alice"]}
	d.actions[0].reason == "Splunk alert (Okta admin role granted outside a change window, high) names Alice Smith (p-alice); ending all their sessions once a person approves"
	d.requires_approval == true
}

# A search or an incident named like a scenario is claimed by that
# scenario too; the scenario's actions wait for a person all the same.
test_incident_named_like_a_scenario_still_waits_for_approval if {
	inp := object.union(incident_input("threat", "high", [alice]), {"signal": {
		"format": "splunk",
		"type": "Impossible Travel",
		"summary": "Impossible Travel",
		"subjects": [
			{"type": "email", "value": "alice@example.com", "role": "actor"},
			{"type": "ip", "value": "203.0.113.80", "role": "source"},
		],
	}})
	d := decide(inp)
	some a in d.actions
	a.rule == "impossible_travel"
	d.requires_approval == true
}

test_low_incident_named_like_a_scenario_still_waits_for_approval if {
	inp := object.union(incident_input("threat", "low", [alice]), {"signal": {
		"type": "MFA Fatigue",
		"summary": "MFA Fatigue",
	}})
	d := decide(inp)
	some a in d.actions
	a.rule == "mfa_fatigue"
	a.kind == "revoke_sessions"
	d.requires_approval == true
}

test_closed_incident_titled_like_a_scenario_does_nothing if {
	inp := object.union(incident_input("other", "high", [alice]), {"signal": {
		"summary": "MFA Fatigue",
		"attributes": {"status": "closed", "resolved": true},
	}})
	d := decide(inp)
	d.actions == []
	d.requires_approval == false
}

test_dismissed_risk_of_a_listed_type_does_nothing if {
	inp := object.union(incident_input("other", "high", [alice]), {"signal": {
		"format": "ms_graph_risk",
		"type": "mcasImpossibleTravel",
		"summary": "mcasImpossibleTravel risk (dismissed)",
		"attributes": {"risk_state": "dismissed", "resolved": true},
	}})
	d := decide(inp) with data.killswitch.lists.impossible_travel_types as ["mcasImpossibleTravel"]
	d.actions == []
}

test_ecs_alert_is_read_as_an_incident if {
	rule := "Sign-in failures for one account from many addresses"
	inp := object.union(incident_input("threat", "high", [alice]), {"signal": {
		"format": "ecs",
		"type": "user.session.start",
		"summary": rule,
		"dedup_key": "ecs:okta.system:alert-1",
		"attributes": {"finding_type": rule, "incident_number": null},
	}})
	d := decide(inp)
	targets(d.actions) == {["revoke_sessions", "principal", "p-alice"]}
	d.actions[0].reason == "Elastic (ECS) alert (Sign-in failures for one account from many addresses, high) names Alice Smith (p-alice); ending all their sessions once a person approves"
	d.requires_approval == true
}

mapped_input(format, severity) := object.union(incident_input("threat", severity, [alice]), {"signal": {
	"format": format,
	"type": "Suspicious OAuth consent",
	"summary": "Suspicious OAuth consent",
	"dedup_key": sprintf("%s:det-1", [format]),
	"attributes": {"incident_number": null},
}})

# A mapping's author chose which paths name accounts; no decoder review
# stands behind them, so a mapped threat's cuts wait for a person (the
# shipped threat rule ended every session of whoever a mapped high alert
# named, with no one asked).
test_mapped_alert_is_read_as_an_incident if {
	d := decide(mapped_input("generic:chronicle", "high"))
	targets(d.actions) == {["revoke_sessions", "principal", "p-alice"]}
	d.actions[0].rule == "siem_incident"
	d.actions[0].reason == "chronicle (mapped) alert (Suspicious OAuth consent, high) names Alice Smith (p-alice); ending all their sessions once a person approves"
	d.requires_approval == true
}

test_mapped_alert_below_the_threshold_only_notifies if {
	d := decide(mapped_input("generic:chronicle", "medium"))
	targets(d.actions) == {["notify", "principal", "p-alice"]}
	d.requires_approval == false
}

# Taking the pattern out of the list trusts mapped alerts like any
# detector's.
test_mapped_alert_acts_alone_without_the_pattern if {
	d := decide(mapped_input("generic:chronicle", "high")) with data.killswitch.lists.incident_formats as ["sentinel"]
	d.actions[0].rule == "threat"
	d.requires_approval == false
}

# A name beats a pattern: a mapped runtime detector listed by name in
# runtime_formats is a runtime finding, not an incident too.
test_mapped_format_named_as_runtime_is_not_an_incident if {
	d := decide(mapped_input("generic:tetragon", "critical")) with data.killswitch.lists.runtime_formats as ["falco", "generic:tetragon"]
	every a in d.actions {
		a.rule == "runtime_threat"
	}
	count(d.actions) > 0
}

# The star stands for a name after the colon, not for any format.
test_pattern_does_not_match_other_formats if {
	d := decide(mapped_input("okta", "high")) with data.killswitch.lists.incident_formats as ["generic:*"]
	every a in d.actions {
		a.rule != "siem_incident"
	}
}
