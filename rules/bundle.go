package rules

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"
)

// maxBundleFile bounds one file of a bundle, so that a corrupt or
// hostile archive cannot exhaust memory.
const maxBundleFile = 32 << 20

// LoadBundle compiles an OPA bundle: a gzipped tarball holding .rego
// files and data documents laid out as in a policy directory. The
// .manifest and signatures are not read; file names in errors and in the
// revision are the names in the archive, without a leading "/".
func LoadBundle(ctx context.Context, file string, opts ...Option) (*PolicySet, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("load policies: %w", err)
	}
	defer f.Close()
	files, err := readBundle(f)
	if err != nil {
		return nil, fmt.Errorf("load policies: bundle %s: %w", file, err)
	}
	var cfg loadConfig
	for _, opt := range opts {
		opt(&cfg)
	}
	return loadFiles(ctx, files, cfg)
}

// LoadPath loads a policy directory (LoadDir) or, for a file ending in
// .tar.gz or .tgz, an OPA bundle (LoadBundle).
func LoadPath(ctx context.Context, p string, opts ...Option) (*PolicySet, error) {
	if IsBundle(p) {
		return LoadBundle(ctx, p, opts...)
	}
	return LoadDir(ctx, p, opts...)
}

// IsBundle reports whether a path names a bundle file by its extension.
func IsBundle(p string) bool {
	return strings.HasSuffix(p, ".tar.gz") || strings.HasSuffix(p, ".tgz")
}

func readBundle(r io.Reader) ([]policyFile, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("not a gzipped tarball: %w", err)
	}
	defer gz.Close()
	tr := tar.NewReader(gz)
	var files []policyFile
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read tarball: %w", err)
		}
		f, keep, err := bundleFile(tr, h)
		if err != nil {
			return nil, err
		}
		if keep {
			files = append(files, f)
		}
	}
	slices.SortFunc(files, func(a, b policyFile) int {
		return strings.Compare(a.name, b.name)
	})
	return files, nil
}

// bundleFile reads one archive entry when it is a policy or data file
// outside hidden directories.
func bundleFile(tr *tar.Reader, h *tar.Header) (policyFile, bool, error) {
	name := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
	if h.Typeflag != tar.TypeReg || !isPolicyFile(name) || hidden(name) {
		return policyFile{}, false, nil
	}
	if h.Size > maxBundleFile {
		return policyFile{}, false, fmt.Errorf("%s: %d bytes, more than "+
			"the %d a bundle file may have", name, h.Size, maxBundleFile)
	}
	src, err := io.ReadAll(io.LimitReader(tr, maxBundleFile))
	if err != nil {
		return policyFile{}, false, fmt.Errorf("read %s: %w", name, err)
	}
	return policyFile{name: name, src: src}, true, nil
}

// hidden reports whether a file sits in a directory whose name starts
// with a dot, which a policy directory's loader skips too.
func hidden(name string) bool {
	dirs := strings.Split(path.Dir(name), "/")
	return slices.ContainsFunc(dirs, func(d string) bool {
		return strings.HasPrefix(d, ".") && d != "."
	})
}
