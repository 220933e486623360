package api

import (
	"context"
	"net/http"
	"runtime"
)

// RuntimeJSON is the answer of GET /v1/debug/runtime: the service's own Go
// runtime figures, for the soak test (tunnel/e2e) and for an administrator
// chasing a leak. Nothing in it says anything about tunnels or keys.
type RuntimeJSON struct {
	Goroutines int `json:"goroutines"`
	// HeapAlloc and HeapObjects are read just after a garbage
	// collection, so they count what is still reachable.
	HeapAlloc   uint64 `json:"heap_alloc"`
	HeapObjects uint64 `json:"heap_objects"`
}

// debugRuntime answers administrators only: the figures are harmless, but
// each request forces a garbage collection, which a group member should
// not be able to make the service do in a loop.
func (s *server) debugRuntime(w http.ResponseWriter, r *http.Request) {
	if c := callerOf(r); !c.who.Admin {
		s.opts.Logger.Error("refused %s %q from %s: not an administrator", r.Method, r.URL.Path, c.cred)
		writeError(w, &Error{Code: CodePermissionDenied, Message: "permission denied: the runtime figures are for administrators"}, http.StatusForbidden)
		return
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	writeJSON(w, http.StatusOK, RuntimeJSON{
		Goroutines:  runtime.NumGoroutine(),
		HeapAlloc:   ms.HeapAlloc,
		HeapObjects: ms.HeapObjects,
	})
}

// Runtime reads the service's Go runtime figures (administrators only).
func (c *Client) Runtime(ctx context.Context) (RuntimeJSON, error) {
	var out RuntimeJSON
	err := c.do(ctx, http.MethodGet, "/v1/debug/runtime", nil, &out)
	return out, err
}
