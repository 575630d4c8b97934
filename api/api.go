// Package api holds smsinbox's published HTTP contract, api/openapi.yaml,
// embedded so that the binary serves it (GET /api/openapi.yaml) from any
// working directory.
package api

import _ "embed"

// OpenAPI is the OpenAPI 3.1 document of the whole HTTP surface.
//
//go:embed openapi.yaml
var OpenAPI []byte
