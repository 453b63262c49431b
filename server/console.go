package server

import (
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"
)

// The staff console is a single-page application served from the binary: /console/ and any
// client-side route under it answer index.html, files answer themselves. Nothing it needs comes
// from another host, and the Content-Security-Policy says so to the browser.
const consoleCSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
	"font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"

// consoleMissing is what /console/ shows when the binary was built without the console.
const consoleMissing = `<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>课后 · 管理后台</title>
<body style="font-family:sans-serif;max-width:40em;margin:4em auto">
<h1>管理后台尚未构建</h1>
<p>这个 kehou 程序构建时没有包含管理后台。请在源码目录运行 <code>make run</code>（或 <code>make console</code> 后再 <code>make build</code>），它会先构建后台（需要 Node.js 与 npm）。</p>
<p lang="en">This kehou binary was built without the staff console. Run <code>make run</code> (or <code>make console</code>, then <code>make build</code>) in the source tree; it builds the console first (Node.js and npm needed).</p>
</body></html>`

func (s *Server) consoleRoutes(e *echo.Echo) {
	toConsole := func(c echo.Context) error { return c.Redirect(http.StatusFound, "/console/") }
	e.GET("/", toConsole)
	e.GET("/console", toConsole)
	e.GET("/console/*", s.consoleFile)
}

// consoleFile answers a file of the built console, or index.html for a client-side route.
// Vite names built assets by their content hash, so they may be cached for good; index.html must
// be revalidated so that a new release is picked up.
func (s *Server) consoleFile(c echo.Context) error {
	h := c.Response().Header()
	h.Set("Content-Security-Policy", consoleCSP)
	if s.consoleFiles == nil {
		h.Set(echo.HeaderCacheControl, "no-store")
		return c.HTML(http.StatusServiceUnavailable, consoleMissing)
	}
	name := strings.TrimPrefix(path.Clean("/"+c.Param("*")), "/")
	if name == "" || name == "." {
		name = "index.html"
	}
	if st, err := fs.Stat(s.consoleFiles, name); err != nil || st.IsDir() {
		if path.Ext(name) != "" && !strings.HasSuffix(name, ".html") {
			return echo.ErrNotFound // a missing asset is a 404, not the page
		}
		name = "index.html"
	}
	if strings.HasPrefix(name, "assets/") {
		h.Set(echo.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		h.Set(echo.HeaderCacheControl, "no-cache")
	}
	return echo.StaticFileHandler(name, s.consoleFiles)(c)
}
