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

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// PolicySet is a compiled policy set with its decision query prepared
// once. It never changes after Load and is safe for concurrent use; a
// reload builds a new one and swaps it in only when it loaded.
type PolicySet struct {
	query    rego.PreparedEvalQuery
	revision string
	files    []string
	// decisionFile and decisionRow locate the rule defining the
	// decision, named by contract violations.
	decisionFile string
	decisionRow  int
}

// Option changes how Load builds a policy set.
type Option func(*loadConfig)

type loadConfig struct {
	printOutput io.Writer
}

// WithPrintOutput keeps the policies' print() calls and writes their
// output to w, which must be safe for concurrent use when Evaluate is
// called concurrently. Without it, print() calls are compiled away.
func WithPrintOutput(w io.Writer) Option {
	return func(c *loadConfig) { c.printOutput = w }
}

// policyFile is one .rego file: its slash-separated path relative to the
// root of the file system it came from, and its source.
type policyFile struct {
	name string
	src  []byte
}

// Load compiles every .rego file under fsys, recursively, except the
// *_test.rego files and hidden directories, and prepares DecisionQuery.
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

// Revision identifies the evaluated policy text: "sha256:<hex>" over the
// sorted file names and contents. Test files do not count: they cannot
// change a decision.
func (p *PolicySet) Revision() string { return p.revision }

// Files returns the names of the evaluated policy files, sorted.
func (p *PolicySet) Files() []string { return slices.Clone(p.files) }

func build(ctx context.Context, files []policyFile, cfg loadConfig) (*PolicySet, error) {
	if len(files) == 0 {
		return nil, &PolicyError{Code: CodeCompile, Message: "no .rego policy files"}
	}
	modules, err := parseModules(files)
	if err != nil {
		return nil, err
	}
	compiler := newCompiler(cfg.printOutput != nil)
	if compiler.Compile(modules); compiler.Failed() {
		return nil, compileError(compiler.Errors)
	}
	ps := &PolicySet{revision: revision(files), files: fileNames(files)}
	ps.decisionFile, ps.decisionRow, err = decisionRule(compiler)
	if err != nil {
		return nil, err
	}
	ps.query, err = prepare(ctx, compiler, cfg)
	return ps, err
}

func newCompiler(printStatements bool) *ast.Compiler {
	return ast.NewCompiler().
		WithStrict(true).
		WithCapabilities(capabilities()).
		WithDefaultRegoVersion(ast.RegoV1).
		WithSchemas(inputSchemaSet()).
		WithEnablePrintStatements(printStatements)
}

func prepare(ctx context.Context, c *ast.Compiler, cfg loadConfig) (rego.PreparedEvalQuery, error) {
	opts := []func(*rego.Rego){
		rego.Query(DecisionQuery),
		rego.Compiler(c),
		rego.StrictBuiltinErrors(true),
	}
	if cfg.printOutput != nil {
		opts = append(opts, rego.EnablePrintStatements(true),
			rego.PrintHook(topdown.NewPrintHook(cfg.printOutput)))
	}
	pq, err := rego.New(opts...).PrepareForEval(ctx)
	if err != nil {
		return pq, compileError(err)
	}
	return pq, nil
}

// decisionRule finds the rule that defines the decision: the first one
// that is not the default, else the default. A decision built by rules
// below it (decision.actions := [...]) is located by the first of those.
func decisionRule(c *ast.Compiler) (string, int, error) {
	ref := ast.MustParseRef(DecisionQuery)
	rules := c.GetRulesExact(ref)
	if len(rules) == 0 {
		rules = c.GetRulesWithPrefix(ref)
	}
	if len(rules) == 0 {
		return "", 0, &PolicyError{Code: CodeCompile,
			Message: "no rule defines " + DecisionQuery}
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
		if d.IsDir() || !strings.HasSuffix(name, ".rego") {
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
