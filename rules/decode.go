package rules

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// The keys the contract allows at each level of a decision.
var (
	decisionKeys = []string{"actions", "requires_approval", "severity"}
	actionKeys   = []string{"kind", "mode", "reason", "rule", "scope",
		"target", "ttl"}
	targetKeys = []string{"id", "type"}
)

// decodeDecision turns the decision as OPA returns it (maps, slices,
// strings, bools, json.Number) into a Decision. It rejects what is not an
// object, unknown keys and wrong types, naming the field.
func decodeDecision(v any) (Decision, error) {
	var d Decision
	obj, ok := v.(map[string]any)
	if !ok {
		return d, fmt.Errorf("decision: want an object, got %s", jsonType(v))
	}
	if err := checkKeys("decision", obj, decisionKeys); err != nil {
		return d, err
	}
	if err := decodeDecisionFields(obj, &d); err != nil {
		return d, err
	}
	list, err := actionList(obj)
	if err != nil {
		return d, err
	}
	d.Actions = make([]Action, len(list))
	for i, a := range list {
		if err := decodeAction(a, &d.Actions[i]); err != nil {
			return d, fmt.Errorf("actions[%d]%w", i, err)
		}
	}
	return d, nil
}

func decodeDecisionFields(obj map[string]any, d *Decision) error {
	var ok bool
	if v, set := obj["severity"]; set {
		if d.Severity, ok = v.(string); !ok {
			return fmt.Errorf("severity: want a string, got %s", jsonType(v))
		}
	}
	if v, set := obj["requires_approval"]; set {
		return decodeApproval(v, d)
	}
	return nil
}

// approvalKeys are the keys of requires_approval given as an object.
var approvalKeys = []string{"on_timeout", "timeout"}

// decodeApproval reads requires_approval: a boolean, or an object with a
// timeout and what happens on it.
func decodeApproval(v any, d *Decision) error {
	if b, ok := v.(bool); ok {
		d.RequiresApproval = b
		return nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("requires_approval: want a boolean or an object, "+
			"got %s", jsonType(v))
	}
	if err := checkKeys("requires_approval", obj, approvalKeys); err != nil {
		return err
	}
	d.RequiresApproval, d.OnTimeout = true, OnTimeoutDrop
	if t, set := obj["timeout"]; set {
		s, _ := t.(string)
		dur, err := time.ParseDuration(s)
		if err != nil || dur <= 0 {
			return fmt.Errorf("requires_approval.timeout: want a positive "+
				"Go duration (\"4h\"), got %s", describe(t))
		}
		d.ApprovalTimeout = dur
	}
	if o, set := obj["on_timeout"]; set {
		s, _ := o.(string)
		if s != OnTimeoutExecute && s != OnTimeoutDrop {
			return fmt.Errorf("requires_approval.on_timeout: want %q or %q, "+
				"got %s", OnTimeoutExecute, OnTimeoutDrop, describe(o))
		}
		if d.ApprovalTimeout == 0 {
			return errors.New("requires_approval.on_timeout: needs a timeout")
		}
		d.OnTimeout = s
	}
	return nil
}

func actionList(obj map[string]any) ([]any, error) {
	v, set := obj["actions"]
	if !set {
		return nil, errors.New(`decision: missing key "actions" ` +
			`(a decision to do nothing is {"actions": []})`)
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("actions: want an array, got %s", jsonType(v))
	}
	return list, nil
}

// decodeAction checks the shape of one action by hand, for messages that
// name the key, then decodes it strictly. Its errors start with the path
// below the action (".kind: ...", ": want an object ...").
func decodeAction(v any, a *Action) error {
	obj, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf(": want an object, got %s", jsonType(v))
	}
	if err := checkKeys("", obj, actionKeys); err != nil {
		return err
	}
	if err := checkNoNulls("", obj); err != nil {
		return err
	}
	if t, set := obj["target"]; set {
		tobj, ok := t.(map[string]any)
		if !ok {
			return fmt.Errorf(".target: want an object, got %s", jsonType(t))
		}
		if err := checkKeys(".target", tobj, targetKeys); err != nil {
			return err
		}
		if err := checkNoNulls(".target", tobj); err != nil {
			return err
		}
	}
	return decodeStrict(obj, a)
}

// decodeStrict decodes through encoding/json with unknown fields refused,
// so that the typed Action and the contract cannot drift apart.
func decodeStrict(obj map[string]any, a *Action) error {
	b, err := json.Marshal(obj)
	if err != nil {
		return fmt.Errorf(": %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	err = dec.Decode(a)
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return fmt.Errorf(".%s: want a %s, got %s", typeErr.Field,
			typeErr.Type, typeErr.Value)
	}
	if err != nil {
		return fmt.Errorf(": %w", err)
	}
	return nil
}

// checkKeys refuses keys outside allowed, naming them after path.
func checkKeys(path string, obj map[string]any, allowed []string) error {
	var unknown []string
	for k := range obj {
		if !slices.Contains(allowed, k) {
			unknown = append(unknown, fmt.Sprintf("%q", k))
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	noun := "key"
	if len(unknown) > 1 {
		noun = "keys"
	}
	return fmt.Errorf("%s: unknown %s %s (want %s)", path, noun,
		strings.Join(unknown, ", "), strings.Join(allowed, ", "))
}

// checkNoNulls refuses null values, which encoding/json would let pass as
// empty strings.
func checkNoNulls(path string, obj map[string]any) error {
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		if obj[k] != nil {
			continue
		}
		want := "a string"
		if k == "target" {
			want = "an object"
		}
		return fmt.Errorf("%s.%s: want %s, got null", path, k, want)
	}
	return nil
}

// jsonType names the JSON type of a value OPA returned.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case bool:
		return "boolean"
	case json.Number:
		return "number"
	}
	return fmt.Sprintf("%T", v)
}
