package server

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

// openAPI is the API's description, served at /openapi.yaml and kept in step with routes.go by
// TestOpenAPIMatchesRoutes.
//
//go:embed openapi.yaml
var openAPI []byte

func (s *Server) openAPIDoc(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/yaml", openAPI)
}
