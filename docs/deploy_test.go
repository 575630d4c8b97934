package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The Dockerfile and docker-compose.yml cannot be built here (no Docker
// engine). These tests hold them to what README.md says of them, so that an
// edit that undoes it (a `go run` in a Go image again, a root user, a
// dynamically linked binary) fails here rather than on a user's machine.

func readRepoFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDockerfileBuildsAStaticBinaryRunAsNonRoot(t *testing.T) {
	var froms, lines []string
	for _, l := range strings.Split(readRepoFile(t, "Dockerfile"), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		lines = append(lines, l)
		if strings.HasPrefix(l, "FROM ") {
			froms = append(froms, l)
		}
	}
	if len(froms) < 2 {
		t.Fatalf("want a multi-stage build, got stages %q", froms)
	}
	build := regexp.MustCompile(`^RUN .*CGO_ENABLED=0 .*go build .*\./cmd/smsinbox`)
	var built, copied bool
	user := ""
	for _, l := range lines {
		built = built || build.MatchString(l)
		copied = copied || strings.HasPrefix(l, "COPY --from=build ")
		if strings.HasPrefix(l, "USER ") {
			user = strings.TrimSpace(strings.TrimPrefix(l, "USER "))
		}
	}
	if !built {
		t.Error("no stage builds ./cmd/smsinbox with CGO_ENABLED=0 (a static binary)")
	}
	if !copied {
		t.Error("the last stage does not copy the binary from the build stage")
	}
	if user == "" || user == "root" || strings.HasPrefix(user, "0") || strings.HasPrefix(user, "root:") {
		t.Errorf("the image runs as %q, want a non-root user", user)
	}
	if last := froms[len(froms)-1]; strings.Contains(last, "golang") {
		t.Errorf("the last stage is %q: the toolchain would ship in the image", last)
	}
}

func TestComposeBuildsTheImage(t *testing.T) {
	var compose struct {
		Services map[string]struct {
			Build   any      `yaml:"build"`
			Image   string   `yaml:"image"`
			Command []string `yaml:"command"`
			Volumes []string `yaml:"volumes"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal([]byte(readRepoFile(t, "docker-compose.yml")), &compose); err != nil {
		t.Fatal(err)
	}
	s, ok := compose.Services["smsinbox"]
	if !ok {
		t.Fatal("docker-compose.yml has no smsinbox service")
	}
	if s.Build != "." {
		t.Errorf("smsinbox's build is %v, want the repository's Dockerfile (build: .)", s.Build)
	}
	if strings.Contains(s.Image, "golang") || strings.Contains(strings.Join(s.Command, " "), "go run") || len(s.Volumes) > 0 {
		t.Errorf("smsinbox runs from source (image %q, command %q, volumes %q), want the built image", s.Image, s.Command, s.Volumes)
	}
}
