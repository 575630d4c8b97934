package httpapi

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"
	"gopkg.in/yaml.v3"

	apidoc "github.com/smsinbox/smsinbox/api"
)

// TestOpenAPIDescribesEveryRoute: api/openapi.yaml is well-formed YAML (a
// key written twice is an error) and documents every route the router has,
// with its methods; the server serves it.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	var doc struct {
		OpenAPI string                    `yaml:"openapi"`
		Paths   map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(apidoc.OpenAPI, &doc); err != nil {
		t.Fatalf("api/openapi.yaml: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") || len(doc.Paths) == 0 {
		t.Fatalf("api/openapi.yaml: openapi %q with %d paths", doc.OpenAPI, len(doc.Paths))
	}
	h := NewHandler(Deps{Logger: slog.Default(), Registry: prometheus.NewRegistry(), Page: http.NotFoundHandler()})
	router := h.(*mux.Router)
	seen := 0
	err := router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		path, err := route.GetPathTemplate()
		if err != nil {
			return nil
		}
		methods, err := route.GetMethods()
		if err != nil {
			return nil // a subrouter's prefix: its routes are walked too
		}
		if strings.HasSuffix(path, "/") && path != "/" {
			path += "{file}" // the page's assets: one path, its file as a parameter
		}
		ops, ok := doc.Paths[path]
		if !ok {
			t.Errorf("route %s %v is not in api/openapi.yaml", path, methods)
			return nil
		}
		for _, m := range methods {
			if m == http.MethodHead && slices.Contains(methods, http.MethodGet) {
				continue
			}
			if _, ok := ops[strings.ToLower(m)]; !ok {
				t.Errorf("api/openapi.yaml has %s but not its %s", path, m)
			}
		}
		seen++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 20 {
		t.Fatalf("walked %d routes: the walk is broken", seen)
	}

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/api/openapi.yaml", nil))
	if w.Code != http.StatusOK || w.Body.String() != string(apidoc.OpenAPI) || w.Header().Get("Content-Type") != "application/yaml" {
		t.Errorf("GET /api/openapi.yaml: %d %q, %d bytes", w.Code, w.Header().Get("Content-Type"), w.Body.Len())
	}
}
