package main

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/segmentio/kafka-go"

	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/signals"
	"github.com/killswitch-dev/killswitch/store/inventory"
)

// A bench copy is the demo inventory with every identifier of it made
// unique to the copy: copy c of alice is alice-b<c>, her e-mail
// alice-b<c>@example.com, her keys end in c. The same rewrite applied
// to a sample alert re-targets it at the copy, so that the copies
// resolve, enrich and are revoked like the demo's principals.

// benchCopies is the demo inventory's identifiers and how to rewrite
// them for one copy.
type benchCopies struct {
	text   string   // the demo inventory, YAML
	tokens []string // its identifiers, longest first
	size   int      // principals per copy
	// secrets are the sample alerts' leaked (demo) secrets by the
	// fingerprint of a credential in the inventory: a copy's credential
	// has the fingerprint of the copy's rewrite of the secret.
	secrets map[string]string
	// mappings decode sample alerts of mapped formats (--signal-mappings);
	// nil decodes with the built-in decoders only.
	mappings *signals.Mappings
}

// trailingHex is a run of hex digits at the end of an identifier, kept
// the same length when rewritten so that a key id keeps its shape.
var trailingHex = regexp.MustCompile(`[0-9a-fA-F]{8,}$`)

func loadBenchCopies(dir string) (*benchCopies, error) {
	path := filepath.Join(dir, "inventory.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("bench inventory: %w (run from the "+
			"repository root, or pass --testdata)", err)
	}
	f, err := inventory.Parse(data, path)
	if err != nil {
		return nil, err
	}
	bc := &benchCopies{text: string(data), size: len(f.Principals)}
	if bc.secrets, err = leakedSecrets(dir, f); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	add := func(vs ...string) {
		for _, v := range vs {
			if len(v) >= 3 && !seen[v] {
				seen[v] = true
				bc.tokens = append(bc.tokens, v)
			}
		}
	}
	for _, p := range f.Principals {
		add(p.ID)
		for _, a := range p.Aliases {
			add(a.Value)
		}
		for _, c := range p.Credentials {
			add(c.ID, c.ExternalID, c.Fingerprint)
			for _, a := range c.Aliases {
				add(a.Value)
			}
		}
		for _, s := range p.Sessions {
			add(s.ID, s.ExternalID)
		}
	}
	for _, secret := range bc.secrets {
		add(secret)
	}
	slices.SortStableFunc(bc.tokens, func(a, b string) int {
		return cmp.Compare(len(b), len(a))
	})
	return bc, nil
}

// rewriter replaces every identifier with its rewrite for copy n.
func (bc *benchCopies) rewriter(n int) *strings.Replacer {
	pairs := make([]string, 0, 2*len(bc.tokens))
	for _, t := range bc.tokens {
		if secret, ok := bc.secrets[t]; ok {
			sum := sha256.Sum256([]byte(uniqueID(secret, n)))
			pairs = append(pairs, t, "sha256:"+hex.EncodeToString(sum[:]))
			continue
		}
		pairs = append(pairs, t, uniqueID(t, n))
	}
	return strings.NewReplacer(pairs...)
}

// uniqueID rewrites an identifier for copy or sequence number n:
// trailing hex digits keep their length, an e-mail keeps its domain,
// anything else gets a suffix.
func uniqueID(t string, n int) string {
	if local, domain, ok := strings.Cut(t, "@"); ok {
		return local + "-b" + strconv.Itoa(n) + "@" + domain
	}
	if loc := trailingHex.FindStringIndex(t); loc != nil {
		digits := fmt.Sprintf("%08x", n)
		if strings.ToUpper(t) == t {
			digits = strings.ToUpper(digits)
		}
		return t[:len(t)-8] + digits[len(digits)-8:]
	}
	return t + "-b" + strconv.Itoa(n)
}

// inventory is copies of the demo inventory holding n principals.
func (bc *benchCopies) inventory(n int) ([]*inventory.File, error) {
	var files []*inventory.File
	for c := 0; c*bc.size < n; c++ {
		name := fmt.Sprintf("bench copy %d", c)
		f, err := inventory.Parse([]byte(bc.rewriter(c).Replace(bc.text)), name)
		if err != nil {
			return nil, err
		}
		f.Principals = f.Principals[:min(len(f.Principals), n-c*bc.size)]
		files = append(files, f)
	}
	return files, nil
}

// alertTemplate is a sample alert and the part of its dedup key that
// makes each rewrite of it a new alert.
type alertTemplate struct {
	file string
	raw  string
	id   string
}

// loadTemplates reads the sample alerts and keeps those the rewrite
// re-targets and makes unique, checked by decoding two rewrites; the
// others are returned as skipped, with why.
func (bc *benchCopies) loadTemplates(dir string) ([]alertTemplate, []string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "alerts", "*.json"))
	if err != nil || len(files) == 0 {
		return nil, nil, fmt.Errorf("no sample alerts in %s",
			filepath.Join(dir, "alerts"))
	}
	slices.Sort(files)
	var ts []alertTemplate
	var skipped []string
	for _, f := range files {
		t, err := bc.template(f)
		if err != nil {
			skipped = append(skipped, fmt.Sprintf("%s: %v", filepath.Base(f), err))
			continue
		}
		ts = append(ts, t)
	}
	if len(ts) == 0 {
		return nil, skipped, fmt.Errorf("no sample alert in %s can be "+
			"re-targeted: %s", dir, strings.Join(skipped, "; "))
	}
	return ts, skipped, nil
}

func (bc *benchCopies) template(file string) (alertTemplate, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return alertTemplate{}, err
	}
	sig, err := bc.mappings.Decode(raw)
	if err != nil {
		return alertTemplate{}, err
	}
	t := alertTemplate{file: file, raw: string(raw), id: dedupID(sig, string(raw))}
	if t.id == "" {
		return t, fmt.Errorf("no part of its dedup key %q to vary", sig.DedupKey)
	}
	a, err := bc.check(t, sig, 1, 2)
	if err == nil {
		var b signals.Signal
		if b, err = bc.check(t, sig, 2, 3); err == nil && a.DedupKey == b.DedupKey {
			err = fmt.Errorf("rewrites share the dedup key %q", a.DedupKey)
		}
	}
	return t, err
}

// dedupID is the longest part of a dedup key, with a digit and at least
// four characters (else the longest part), found in the alert.
func dedupID(sig signals.Signal, raw string) string {
	_, rest, _ := strings.Cut(sig.DedupKey, ":")
	parts := strings.FieldsFunc(rest, func(r rune) bool {
		return r == ':' || r == '#' || r == '/'
	})
	best, bestDigit := "", false
	for _, p := range parts {
		digit := len(p) >= 4 && strings.ContainsAny(p, "0123456789")
		if !strings.Contains(raw, p) || len(p) < 4 {
			continue
		}
		if (digit && !bestDigit) || (digit == bestDigit && len(p) > len(best)) {
			best, bestDigit = p, digit
		}
	}
	return best
}

// check decodes the rewrite of t for copy c and sequence seq and
// compares its subjects with the rewrite of the original's.
func (bc *benchCopies) check(t alertTemplate, orig signals.Signal,
	c, seq int) (signals.Signal, error) {
	msg, err := bc.alert(t, c, seq)
	if err != nil {
		return signals.Signal{}, err
	}
	got, _ := bc.mappings.Decode(msg.Value)
	rw, idrw := bc.rewriter(c), idRewriter(t.id, seq)
	if len(got.Subjects) != len(orig.Subjects) {
		return got, fmt.Errorf("rewritten, it names %d subjects, not %d",
			len(got.Subjects), len(orig.Subjects))
	}
	for i, s := range orig.Subjects {
		want := idrw.Replace(rw.Replace(s.Value))
		if got.Subjects[i].Value != want {
			return got, fmt.Errorf("rewritten, its %s is %q, not %q",
				s.Type, got.Subjects[i].Value, want)
		}
	}
	if got.DedupKey == orig.DedupKey {
		return got, fmt.Errorf("rewritten, its dedup key stays %q", orig.DedupKey)
	}
	return got, nil
}

func idRewriter(id string, seq int) *strings.Replacer {
	if _, err := strconv.Atoi(id); err == nil {
		return strings.NewReplacer(id, id+fmt.Sprintf("%08d", seq))
	}
	return strings.NewReplacer(id, uniqueID(id, seq))
}

// alert is template t re-targeted at copy c, made unique by seq, keyed
// like send keys it.
func (bc *benchCopies) alert(t alertTemplate, c, seq int) (kafka.Message, error) {
	body := idRewriter(t.id, seq).Replace(bc.rewriter(c).Replace(t.raw))
	sig, err := bc.mappings.Decode([]byte(body))
	if err != nil {
		return kafka.Message{}, fmt.Errorf("rewritten, it does not decode: %w", err)
	}
	return kafka.Message{Key: []byte(engine.PartitionKey(sig)), Value: []byte(body)}, nil
}

// alerts builds m alerts from the templates, each at a random copy of
// the copies that are whole.
func (bc *benchCopies) alerts(ts []alertTemplate, m, principals int,
	rng *rand.Rand) ([]kafka.Message, error) {
	copies := max(1, principals/bc.size)
	rws := make([]*strings.Replacer, copies)
	msgs := make([]kafka.Message, m)
	for i := range msgs {
		c := rng.IntN(copies)
		if rws[c] == nil {
			rws[c] = bc.rewriter(c)
		}
		t := ts[i%len(ts)]
		body := idRewriter(t.id, i).Replace(rws[c].Replace(t.raw))
		sig, err := bc.mappings.Decode([]byte(body))
		if err != nil {
			return nil, fmt.Errorf("alert %d from %s: %w", i, t.file, err)
		}
		msgs[i] = kafka.Message{Key: []byte(engine.PartitionKey(sig)), Value: []byte(body)}
	}
	return msgs, nil
}

// leakedSecrets finds, in the sample alerts, the strings whose SHA-256
// is the fingerprint of a credential of f.
func leakedSecrets(dir string, f *inventory.File) (map[string]string, error) {
	prints := map[string]bool{}
	for _, p := range f.Principals {
		for _, c := range p.Credentials {
			if c.Fingerprint != "" {
				prints[c.Fingerprint] = true
			}
		}
	}
	files, err := filepath.Glob(filepath.Join(dir, "alerts", "*.json"))
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		var v any
		if json.Unmarshal(raw, &v) != nil {
			continue // a malformed sample is reported by loadTemplates
		}
		eachString(v, func(s string) {
			sum := sha256.Sum256([]byte(s))
			if fp := "sha256:" + hex.EncodeToString(sum[:]); prints[fp] {
				out[fp] = s
			}
		})
	}
	return out, nil
}

// eachString calls fn with every string in a decoded JSON value.
func eachString(v any, fn func(string)) {
	switch x := v.(type) {
	case string:
		fn(x)
	case []any:
		for _, e := range x {
			eachString(e, fn)
		}
	case map[string]any:
		for _, e := range x {
			eachString(e, fn)
		}
	}
}
