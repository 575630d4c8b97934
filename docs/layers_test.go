package docs

import (
	"go/build"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// module is the module path of smsinbox's packages.
const module = "github.com/smsinbox/smsinbox"

// TestDependencyRule checks ARCHITECTURE.md's dependency rule on the import
// graph (what `go list -deps` walks, tests left out): a package of domain/
// depends on no package of smsinbox outside domain/, and commands on none
// outside domain/ and itself, and audit (the replayed consent queries) on
// none outside domain/ and itself, directly or through another package. So no
// business rule can lean on HTTP, SQL or Twilio's wire format: an adapter
// translates into a use case's own input types (adapters/httpapi maps
// Twilio's webhooks to commands.InboundText and commands.StatusCallback).
func TestDependencyRule(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	g := importGraph{root: root, imports: map[string][]string{}}
	for _, layer := range []struct {
		packages string // a package, or a folder and every package under it ("/...")
		allowed  []string
	}{
		{"domain/...", []string{"domain/"}},
		{"commands", []string{"domain/", "commands"}},
		{"audit", []string{"domain/", "audit"}},
	} {
		pkgs, err := g.match(layer.packages)
		if err != nil {
			t.Fatal(err)
		}
		if len(pkgs) == 0 {
			t.Fatalf("%s: no packages", layer.packages)
		}
		for _, pkg := range pkgs {
			chain, err := g.firstOutside(pkg, layer.allowed)
			if err != nil {
				t.Fatal(err)
			}
			if chain != nil {
				t.Errorf("%s may depend only on %s, but imports %s", layer.packages, strings.Join(layer.allowed, " and "), strings.Join(chain, " → "))
			}
		}
	}
}

// importGraph reads the imports of smsinbox's packages from their source,
// as the go command would for this platform (go/build's default context).
type importGraph struct {
	root    string
	imports map[string][]string // by path relative to the module ("domain/phone")
}

// match lists the packages of pattern: "dir", or "dir/..." for every
// package in dir and below it.
func (g importGraph) match(pattern string) ([]string, error) {
	dir, all := strings.CutSuffix(pattern, "/...")
	if !all {
		return []string{dir}, nil
	}
	var pkgs []string
	err := filepath.WalkDir(filepath.Join(g.root, filepath.FromSlash(dir)), func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if name := d.Name(); name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
			return filepath.SkipDir
		}
		if _, err := build.ImportDir(path, 0); err != nil {
			if _, none := err.(*build.NoGoError); none {
				return nil
			}
			return err
		}
		rel, err := filepath.Rel(g.root, path)
		pkgs = append(pkgs, filepath.ToSlash(rel))
		return err
	})
	return pkgs, err
}

// importsOf is the smsinbox packages that pkg imports (not its tests').
func (g importGraph) importsOf(pkg string) ([]string, error) {
	if imps, ok := g.imports[pkg]; ok {
		return imps, nil
	}
	p, err := build.ImportDir(filepath.Join(g.root, filepath.FromSlash(pkg)), 0)
	if err != nil {
		return nil, err
	}
	var imps []string
	for _, imp := range p.Imports {
		if rel, ok := strings.CutPrefix(imp, module+"/"); ok {
			imps = append(imps, rel)
		}
	}
	g.imports[pkg] = imps
	return imps, nil
}

// firstOutside is the import chain from pkg to the first smsinbox package
// it depends on that allowed does not name; nil when there is none.
func (g importGraph) firstOutside(pkg string, allowed []string) ([]string, error) {
	ok := func(p string) bool {
		return slices.ContainsFunc(allowed, func(a string) bool {
			if dir, isDir := strings.CutSuffix(a, "/"); isDir {
				return p == dir || strings.HasPrefix(p, a)
			}
			return p == a
		})
	}
	from := map[string]string{pkg: ""}
	queue := []string{pkg}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if !ok(p) {
			var chain []string
			for q := p; q != ""; q = from[q] {
				chain = append([]string{q}, chain...)
			}
			return chain, nil
		}
		imps, err := g.importsOf(p)
		if err != nil {
			return nil, err
		}
		for _, imp := range imps {
			if _, seen := from[imp]; !seen {
				from[imp] = p
				queue = append(queue, imp)
			}
		}
	}
	return nil, nil
}
