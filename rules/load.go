package rules

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// PolicySet is a compiled policy set with its decision query prepared
// once. It never changes after Load and is safe for concurrent use; a
// reload builds a new one and swaps it in only when it loaded.
type PolicySet struct {
	response *entryPoint
	// sweep is nil when the set defines no sweep decision.
	sweep    *entryPoint
	revision string
	files    []string
	modules  map[string]*ast.Module
	// modes maps a rule name (an action's rule) to ModeEnforce or
	// ModeMonitor, from data.killswitch.modes.
	modes map[string]string
	// guard is what data.killswitch says to the guardrails.
	guard GuardData
	// evalTimeout bounds one evaluation (WithEvalTimeout).
	evalTimeout time.Duration
}

// entryPoint is one prepared decision query.
type entryPoint struct {
	query rego.PreparedEvalQuery
	path  string
	// file and row locate the rule defining the decision, named by
	// contract violations.
	file string
	row  int
}

// Option changes how Load builds a policy set.
type Option func(*loadConfig)

type loadConfig struct {
	printOutput io.Writer
	tracer      topdown.QueryTracer
	evalTimeout time.Duration
}

// DefaultEvalTimeout bounds one evaluation of a decision unless
// WithEvalTimeout says otherwise. The shipped library decides in about a
// millisecond; OPA's tester gives a Rego test the same 5 seconds.
const DefaultEvalTimeout = 5 * time.Second

// WithEvalTimeout bounds how long one evaluation of a decision may run
// (default DefaultEvalTimeout; zero or less keeps the default). Past it
// the evaluation stops with a *PolicyError with code CodeEval naming the
// decision's file and line: a policy that loops over too much is a
// fault of the policy, and the engine dead-letters the alert instead of
// holding its partition for as long as the policy runs.
func WithEvalTimeout(d time.Duration) Option {
	return func(c *loadConfig) { c.evalTimeout = d }
}

// WithPrintOutput keeps the policies' print() calls and writes their
// output to w, which must be safe for concurrent use when Evaluate is
// called concurrently. Without it, print() calls are compiled away.
func WithPrintOutput(w io.Writer) Option {
	return func(c *loadConfig) { c.printOutput = w }
}

// WithTracer traces every evaluation of the set to t (a coverage
// collector, see Coverage), which must be safe for concurrent use.
func WithTracer(t topdown.QueryTracer) Option {
	return func(c *loadConfig) { c.tracer = t }
}

// policyFile is one .rego or data file: its slash-separated path relative to the
// root of the file system it came from, and its source.
type policyFile struct {
	name string
	src  []byte
}

// Load compiles every .rego file under fsys, recursively, except the
// *_test.rego files and hidden directories, reads the data documents
// (data.json, data.yaml) as an OPA bundle places them, and prepares
// DecisionQuery (and SweepQuery when the set defines it).
// Compilation is strict and type-checks input against Input; http.send,
// net.lookup_ip_addr and opa.runtime are not available. A policy that
// does not compile, or a set that defines no decision, is a *PolicyError
// with code CodeCompile naming the file and line; several are joined.
func Load(ctx context.Context, fsys fs.FS, opts ...Option) (*PolicySet, error) {
	var cfg loadConfig
	for _, opt := range opts {
		opt(&cfg)
	}
	files, err := readPolicyFiles(fsys)
	if err != nil {
		return nil, fmt.Errorf("load policies: %w", err)
	}
	return loadFiles(ctx, files, cfg)
}

func loadFiles(ctx context.Context, files []policyFile, cfg loadConfig) (*PolicySet, error) {
	ps, err := build(ctx, evaluationFiles(files), cfg)
	if err != nil {
		return nil, fmt.Errorf("load policies: %w", err)
	}
	return ps, nil
}

// LoadDir is Load on the directory dir. File names in errors and in the
// revision are relative to dir.
func LoadDir(ctx context.Context, dir string, opts ...Option) (*PolicySet, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("load policies: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("load policies: %s is not a directory", dir)
	}
	return Load(ctx, os.DirFS(dir), opts...)
}

// Revision identifies the evaluated policy text and data:
// "sha256:<hex>" over the sorted file names and contents. Test files do
// not count: they cannot change a decision.
func (p *PolicySet) Revision() string { return p.revision }

// Files returns the names of the evaluated policy and data files,
// sorted.
func (p *PolicySet) Files() []string { return slices.Clone(p.files) }

func build(ctx context.Context, files []policyFile, cfg loadConfig) (*PolicySet, error) {
	regoFiles, dataFiles := splitFiles(files)
	if len(regoFiles) == 0 {
		return nil, &PolicyError{Code: CodeCompile, Message: "no .rego policy files"}
	}
	data, err := buildData(dataFiles)
	if err != nil {
		return nil, err
	}
	ps := &PolicySet{revision: revision(files), files: fileNames(files),
		evalTimeout: cmp.Or(max(cfg.evalTimeout, 0), DefaultEvalTimeout)}
	if ps.modes, err = readModes(data, dataFiles); err != nil {
		return nil, err
	}
	if ps.guard, err = readGuard(data, dataFiles); err != nil {
		return nil, err
	}
	compiler, err := compileFiles(regoFiles, cfg.printOutput != nil)
	if err != nil {
		return nil, err
	}
	ps.modules = compiler.Modules
	return ps, ps.prepareAll(ctx, compiler, data, cfg)
}

func compileFiles(files []policyFile, printStatements bool) (*ast.Compiler, error) {
	modules, err := parseModules(files)
	if err != nil {
		return nil, err
	}
	compiler := newCompiler(printStatements)
	if compiler.Compile(modules); compiler.Failed() {
		return nil, compileError(compiler.Errors)
	}
	return compiler, nil
}

// prepareAll prepares the response decision, which every set must
// define, and the sweep decision when the set defines one.
func (p *PolicySet) prepareAll(ctx context.Context, c *ast.Compiler,
	data map[string]any, cfg loadConfig) error {
	store := inmem.NewFromObjectWithOpts(data, inmem.OptReturnASTValuesOnRead(true))
	var err error
	p.response, err = prepareEntry(ctx, c, store, DecisionQuery, cfg)
	if err != nil {
		return err
	}
	if !defines(c, SweepQuery) {
		return nil
	}
	p.sweep, err = prepareEntry(ctx, c, store, SweepQuery, cfg)
	return err
}

func splitFiles(files []policyFile) (regoFiles, dataFiles []policyFile) {
	for _, f := range files {
		if IsDataFile(f.name) {
			dataFiles = append(dataFiles, f)
		} else {
			regoFiles = append(regoFiles, f)
		}
	}
	return regoFiles, dataFiles
}

func newCompiler(printStatements bool) *ast.Compiler {
	return ast.NewCompiler().
		WithStrict(true).
		WithCapabilities(capabilities()).
		WithDefaultRegoVersion(ast.RegoV1).
		WithSchemas(inputSchemaSet()).
		WithEnablePrintStatements(printStatements)
}

func prepareEntry(ctx context.Context, c *ast.Compiler, store storage.Store,
	query string, cfg loadConfig) (*entryPoint, error) {
	e := &entryPoint{path: query}
	var err error
	if e.file, e.row, err = decisionRule(c, query); err != nil {
		return nil, err
	}
	opts := []func(*rego.Rego){
		rego.Query(query),
		rego.Compiler(c),
		rego.Store(store),
		rego.StrictBuiltinErrors(true),
	}
	if cfg.printOutput != nil {
		opts = append(opts, rego.EnablePrintStatements(true),
			rego.PrintHook(topdown.NewPrintHook(cfg.printOutput)))
	}
	if cfg.tracer != nil {
		opts = append(opts, rego.QueryTracer(cfg.tracer))
	}
	if e.query, err = rego.New(opts...).PrepareForEval(ctx); err != nil {
		return nil, compileError(err)
	}
	return e, nil
}

// defines reports whether some rule defines query or a value below it.
func defines(c *ast.Compiler, query string) bool {
	ref := ast.MustParseRef(query)
	return len(c.GetRulesExact(ref)) > 0 || len(c.GetRulesWithPrefix(ref)) > 0
}

// decisionRule finds the rule that defines the decision: the first one
// that is not the default, else the default. A decision built by rules
// below it (decision.actions := [...]) is located by the first of those.
func decisionRule(c *ast.Compiler, query string) (string, int, error) {
	ref := ast.MustParseRef(query)
	rules := c.GetRulesExact(ref)
	if len(rules) == 0 {
		rules = c.GetRulesWithPrefix(ref)
	}
	if len(rules) == 0 {
		return "", 0, &PolicyError{Code: CodeCompile,
			Message: "no rule defines " + query}
	}
	slices.SortFunc(rules, func(a, b *ast.Rule) int {
		return cmp.Or(compareBool(a.Default, b.Default),
			strings.Compare(a.Location.File, b.Location.File),
			cmp.Compare(a.Location.Row, b.Location.Row))
	})
	return rules[0].Location.File, rules[0].Location.Row, nil
}

// compareBool orders false before true.
func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

func readPolicyFiles(fsys fs.FS) ([]policyFile, error) {
	var files []policyFile
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && name != "." && strings.HasPrefix(d.Name(), ".") {
			return fs.SkipDir
		}
		if d.IsDir() || !isPolicyFile(name) {
			return nil
		}
		src, err := fs.ReadFile(fsys, name)
		files = append(files, policyFile{name: name, src: src})
		return err
	})
	slices.SortFunc(files, func(a, b policyFile) int {
		return strings.Compare(a.name, b.name)
	})
	return files, err
}

// isPolicyFile reports whether a file is Rego or a data document.
func isPolicyFile(name string) bool {
	return strings.HasSuffix(name, ".rego") || IsDataFile(name)
}

func isTestFile(name string) bool { return strings.HasSuffix(name, "_test.rego") }

func evaluationFiles(files []policyFile) []policyFile {
	return slices.DeleteFunc(slices.Clone(files), func(f policyFile) bool {
		return isTestFile(f.name)
	})
}

func fileNames(files []policyFile) []string {
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.name
	}
	return names
}

// parseModules parses every file as Rego v1 and reports the errors of all
// of them, not only the first file's.
func parseModules(files []policyFile) (map[string]*ast.Module, error) {
	modules := make(map[string]*ast.Module, len(files))
	var errs ast.Errors
	for _, f := range files {
		m, err := parseModule(f)
		astErrs, isAST := asASTErrors(err)
		switch {
		case isAST:
			errs = append(errs, astErrs...)
		case err != nil:
			return nil, err
		default:
			modules[f.name] = m
		}
	}
	if len(errs) > 0 {
		return nil, compileError(errs)
	}
	return modules, nil
}

func parseModule(f policyFile) (*ast.Module, error) {
	return ast.ParseModuleWithOpts(f.name, string(f.src), ast.ParserOptions{
		RegoVersion:       ast.RegoV1,
		ProcessAnnotation: true,
	})
}

// revision hashes each file's name and content, each prefixed with its
// length so that no two different sets hash alike.
func revision(files []policyFile) string {
	h := sha256.New()
	for _, f := range files {
		writeField(h, []byte(f.name))
		writeField(h, f.src)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

func writeField(w io.Writer, b []byte) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(b)))
	w.Write(n[:])
	w.Write(b)
}
