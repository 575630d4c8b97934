package docs

import (
	"bufio"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// outside matches a reference to a document that is not in the repository:
// the product owner's contract files, or the shared folder beside the
// repository they came from. The pattern is assembled so that this file does
// not match itself.
var outside = regexp.MustCompile(`\b(` + `DOMAIN` + `|` + `API` + `)\.md\b|\.\./` + `shared\b`)

// mentionsAny is a quick check for what outside matches.
func mentionsAny(data []byte) bool {
	for _, needle := range []string{"DOMAIN" + ".md", "API" + ".md", "../" + "shared"} {
		if bytes.Contains(data, []byte(needle)) {
			return true
		}
	}
	return false
}

// skipDirs are folders that hold no files of the repository: git's, the
// private PostgreSQL cluster that `smsinbox serve` creates, and what tests
// and tools leave behind.
var skipDirs = map[string]bool{".git": true, "var": true, "node_modules": true, "screenshots": true}

// TestNothingPointsOutside fails when any file of the repository names a
// document that is not in it. The rules are docs/rules.md; the HTTP contract
// is api/openapi.yaml.
func TestNothingPointsOutside(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("the repository's root %s has no go.mod: %v", root, err)
	}
	checked := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && skipDirs[d.Name()] {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.IndexByte(data, 0) >= 0 {
			return nil // binary
		}
		checked++
		if !mentionsAny(data) {
			return nil // the fast path: the regular expression is slow under -race
		}
		rel, _ := filepath.Rel(root, path)
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, len(data)+1)
		for n := 1; sc.Scan(); n++ {
			if m := outside.FindString(sc.Text()); m != "" {
				t.Errorf("%s:%d names %q, which is not in the repository: cite docs/rules.md (\"docs/rules.md, Consent\") or api/openapi.yaml instead:\n\t%s",
					rel, n, m, strings.TrimSpace(sc.Text()))
			}
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 100 {
		t.Fatalf("checked only %d files under %s: the walk is not reading the repository", checked, root)
	}
}

// TestThePatternCatches keeps the check able to fail.
func TestThePatternCatches(t *testing.T) {
	for _, s := range []string{"see " + "DOMAIN" + ".md, Consent", "(" + "API" + ".md: 1 MiB)", "../" + "shared/STYLE.md"} {
		if !outside.MatchString(s) {
			t.Errorf("%q is not caught", s)
		}
	}
	for _, s := range []string{"docs/rules.md, Consent", "api/openapi.yaml", "OPENAPI.md", "shared state"} {
		if outside.MatchString(s) {
			t.Errorf("%q is caught, wrongly", s)
		}
	}
}
