package killswitch.response_test

payments := {
	"id": "payments-api",
	"kind": "workload",
	"display_name": "payments API",
	"status": "active",
	"break_glass": false,
	"matched_by": [{"type": "device_id", "value": "payments/payments-api", "role": "target"}],
}

node := {
	"id": "node-7",
	"kind": "workload",
	"status": "active",
	"break_glass": false,
	"matched_by": [{"type": "device_id", "value": "node-7", "role": "location"}],
}

runtime_input(format, severity, principals) := {
	"signal": object.union(signal("threat", severity, []), {
		"format": format,
		"type": "Terminal shell in container",
		"summary": "Terminal shell in container",
	}),
	"principals": principals,
	"sessions": [session("s-pay", "payments-api", "")],
	"credentials": [],
	"now": now,
}

test_runtime_critical_falco_ends_the_workloads_sessions if {
	d := decide(runtime_input("falco", "critical", [payments]))
	targets(d.actions) == {["revoke_sessions", "principal", "payments-api"]}
	d.actions[0].rule == "runtime_threat"
	d.actions[0].reason == "Falco reported Terminal shell in container (critical) against payments API (payments-api); ending all their sessions"
	d.severity == "critical"
}

test_runtime_high_falco_only_notifies if {
	d := decide(runtime_input("falco", "high", [payments]))
	targets(d.actions) == {["notify", "principal", "payments-api"]}
	d.actions[0].rule == "runtime_threat"
	d.actions[0].reason == "Falco reported Terminal shell in container (high) against payments API (payments-api); below critical severity, so nothing is revoked"
	d.severity == "high"
}

test_runtime_wazuh_is_read_alike if {
	critical := decide(runtime_input("wazuh", "critical", [alice]))
	targets(critical.actions) == {["revoke_sessions", "principal", "p-alice"]}
	medium := decide(runtime_input("wazuh", "medium", [alice]))
	targets(medium.actions) == {["notify", "principal", "p-alice"]}
}

test_runtime_leaves_the_host_falco_ran_on_alone if {
	d := decide(runtime_input("falco", "critical", [payments, node]))
	targets(d.actions) == {["revoke_sessions", "principal", "payments-api"]}
}

test_runtime_spares_break_glass if {
	d := decide(runtime_input("falco", "critical", [root]))
	d.actions == []
}

test_runtime_leaves_other_detectors_to_threat if {
	d := decide(runtime_input("guardduty", "high", [alice]))
	targets(d.actions) == {["revoke_sessions", "principal", "p-alice"]}
	d.actions[0].rule == "threat"
}

test_runtime_needs_the_threat_category if {
	inp := object.union(runtime_input("wazuh", "critical", [alice]), {
		"signal": object.union(signal("authentication", "critical", []), {"format": "wazuh"}),
	})
	decide(inp).actions == []
}

test_runtime_threshold_comes_from_data if {
	d := decide(runtime_input("falco", "high", [payments])) with data.killswitch.thresholds.runtime_revoke_severity as "high"
	targets(d.actions) == {["revoke_sessions", "principal", "payments-api"]}
}

shop_web := {
	"id": "shop-web",
	"kind": "workload",
	"display_name": "shop web",
	"status": "active",
	"break_glass": false,
	"matched_by": [{"type": "device_id", "value": "nginx", "role": "target"}],
}

blog_web := object.union(shop_web, {"id": "blog-web", "display_name": "blog web"})

test_runtime_name_of_several_principals_only_tells_them if {
	d := decide(runtime_input("falco", "critical", [shop_web, blog_web]))
	targets(d.actions) == {["notify", "principal", "shop-web"], ["notify", "principal", "blog-web"]}
	some a in d.actions
	a.reason == "Falco reported Terminal shell in container (critical) against blog web (blog-web); other principals answer to the same name, so nothing is revoked"
}

test_runtime_name_of_one_principal_still_cuts_it if {
	pinned := object.union(shop_web, {"matched_by": [
		{"type": "device_id", "value": "nginx", "role": "target"},
		{"type": "device_id", "value": "shop/nginx", "role": "target"},
	]})
	d := decide(runtime_input("falco", "critical", [pinned, blog_web]))
	targets(d.actions) == {["revoke_sessions", "principal", "shop-web"], ["notify", "principal", "blog-web"]}
}

test_runtime_shared_bystander_name_pins_no_one if {
	on_node := object.union(shop_web, {"matched_by": [
		{"type": "device_id", "value": "nginx", "role": "target"},
		{"type": "device_id", "value": "node-7", "role": "location"},
	]})
	d := decide(runtime_input("falco", "critical", [on_node, blog_web]))
	targets(d.actions) == {["notify", "principal", "shop-web"], ["notify", "principal", "blog-web"]}
}
