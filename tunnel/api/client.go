package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"

	"github.com/wgdesk/wgdesk/config"
)

// ErrServiceDown means nothing listens on the socket. Client methods wrap
// it with a hint on how to start the service.
var ErrServiceDown = errors.New("the wgdesk service is not running")

// Client talks to the service over its Unix socket, or its named pipe on
// Windows. It connects lazily, on the first call, and is safe for
// concurrent use.
type Client struct {
	socket string
	hc     *http.Client
}

// Dial returns a client for the service listening on socketPath (on
// Windows, on the pipe pipePath(socketPath)). It does not connect yet.
func Dial(socketPath string) *Client {
	addr := serviceAddr(socketPath)
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return dialService(ctx, addr)
		},
		MaxIdleConns:       2,
		DisableCompression: true,
	}
	return &Client{socket: addr, hc: &http.Client{Transport: tr}}
}

// Socket is the path the client connects to (the pipe on Windows).
func (c *Client) Socket() string { return c.socket }

// Close drops idle connections.
func (c *Client) Close() { c.hc.CloseIdleConnections() }

// Version asks for the API and service versions. Anyone may call it.
func (c *Client) Version(ctx context.Context) (VersionJSON, error) {
	var v VersionJSON
	err := c.do(ctx, http.MethodGet, "/v1/version", nil, &v)
	return v, err
}

// Log returns the service's latest log lines, oldest first.
func (c *Client) Log(ctx context.Context) ([]string, error) {
	var l LogJSON
	err := c.do(ctx, http.MethodGet, "/v1/log", nil, &l)
	return l.Lines, err
}

// List returns every stored tunnel, sorted by name.
func (c *Client) List(ctx context.Context) ([]TunnelJSON, error) {
	var ts []TunnelJSON
	err := c.do(ctx, http.MethodGet, "/v1/tunnels", nil, &ts)
	return ts, err
}

// Get returns one tunnel.
func (c *Client) Get(ctx context.Context, name string) (TunnelJSON, error) {
	var t TunnelJSON
	err := c.do(ctx, http.MethodGet, tunnelPath(name, ""), nil, &t)
	return t, err
}

// Import stores a wg-quick config under name. The service parses it again;
// what it repaired or tolerated comes back as warnings.
func (c *Client) Import(ctx context.Context, name, configText string) ([]config.Warning, error) {
	var resp ImportResponse
	if err := c.do(ctx, http.MethodPost, "/v1/tunnels", ImportRequest{Name: name, Config: configText}, &resp); err != nil {
		return nil, err
	}
	var ws []config.Warning
	for _, w := range resp.Warnings {
		ws = append(ws, w.Warning())
	}
	return ws, nil
}

// Up activates a tunnel and returns it once it is active.
func (c *Client) Up(ctx context.Context, name string) (TunnelJSON, error) {
	var t TunnelJSON
	err := c.do(ctx, http.MethodPost, tunnelPath(name, "/up"), nil, &t)
	return t, err
}

// Down deactivates a tunnel.
func (c *Client) Down(ctx context.Context, name string) (TunnelJSON, error) {
	var t TunnelJSON
	err := c.do(ctx, http.MethodPost, tunnelPath(name, "/down"), nil, &t)
	return t, err
}

// SetOptions stores a tunnel's options (kill switch, Allow LAN) and
// returns the tunnel as it is afterwards; an active tunnel gets them at
// once. A service older than the options answers with an error of code
// unsupported that says to update it.
func (c *Client) SetOptions(ctx context.Context, name string, o OptionsJSON) (TunnelJSON, error) {
	var t TunnelJSON
	err := c.do(ctx, http.MethodPut, tunnelPath(name, "/options"), o, &t)
	var e *Error
	if errors.As(err, &e) && e.Status == http.StatusNotFound && e.Code == CodeBadRequest {
		// The catch-all route of a service that has no such endpoint.
		return t, &Error{Code: CodeUnsupported, Status: e.Status,
			Message: "the wgdesk service is too old for tunnel options (kill switch, allow lan); update it and restart it"}
	}
	return t, err
}

// Doctor runs the connection doctor on a tunnel and returns its report;
// the service activates an inactive tunnel for the checks and takes it
// down again. It takes a few seconds, more for a tunnel without a
// handshake. A service older than the doctor answers with an error of
// code unsupported that says to update it.
func (c *Client) Doctor(ctx context.Context, name string) (DoctorJSON, error) {
	var rep DoctorJSON
	err := c.do(ctx, http.MethodPost, tunnelPath(name, "/doctor"), nil, &rep)
	var e *Error
	if errors.As(err, &e) && e.Status == http.StatusNotFound && e.Code == CodeBadRequest {
		return rep, &Error{Code: CodeUnsupported, Status: e.Status,
			Message: "the wgdesk service is too old for the connection doctor; update it and restart it"}
	}
	return rep, err
}

// Delete removes a stored tunnel; it must be down.
func (c *Client) Delete(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodDelete, tunnelPath(name, ""), nil, nil)
}

// Config returns the full wg-quick text of a tunnel, private key included.
func (c *Client) Config(ctx context.Context, name string) (string, error) {
	var resp ConfigResponse
	err := c.do(ctx, http.MethodGet, tunnelPath(name, "/config"), nil, &resp)
	return resp.Config, err
}

// Events follows the service's event stream. Its first event is a
// snapshot of all tunnels. The stream ends when ctx is done, when Close is
// called or when the service goes away; C is closed then and Err says why.
func (c *Client) Events(ctx context.Context) (*EventStream, error) {
	ctx, cancel := context.WithCancel(ctx)
	resp, err := c.send(ctx, http.MethodGet, "/v1/events", nil)
	if err != nil {
		cancel()
		return nil, err
	}
	ch := make(chan EventJSON)
	s := &EventStream{C: ch, cancel: cancel, done: make(chan struct{})}
	go s.read(ctx, resp.Body, ch)
	return s, nil
}

// EventStream is an open GET /v1/events.
type EventStream struct {
	// C delivers events in order; it is closed when the stream ends.
	C      <-chan EventJSON
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

// Close ends the stream and waits until C is closed.
func (s *EventStream) Close() {
	s.cancel()
	<-s.done
}

// Err says why the stream ended: nil after Close or a cancelled context,
// io.EOF when the service closed it (it shut down), else the read error.
// It is valid once C is closed.
func (s *EventStream) Err() error {
	<-s.done
	return s.err
}

func (s *EventStream) read(ctx context.Context, body io.ReadCloser, ch chan<- EventJSON) {
	defer close(s.done)
	defer close(ch)
	defer body.Close()
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var ev EventJSON
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			s.err = fmt.Errorf("decode event: %w", err)
			return
		}
		select {
		case ch <- ev:
		case <-ctx.Done():
			return
		}
	}
	switch {
	case ctx.Err() != nil:
	case sc.Err() != nil:
		s.err = fmt.Errorf("read events: %w", sc.Err())
	default:
		s.err = io.EOF
	}
}

func tunnelPath(name, suffix string) string {
	return "/v1/tunnels/" + url.PathEscape(name) + suffix
}

// do sends a request and decodes a JSON answer into out (if not nil).
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	resp, err := c.send(ctx, method, path, in)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decode answer to %s %s: %w", method, path, err)
	}
	return nil
}

// send makes a request and turns failures into errors: dial failures into
// ErrServiceDown or permission_denied, error answers into *Error.
func (c *Client) send(ctx context.Context, method, path string, in any) (*http.Response, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://wgdesk"+path, body)
	if err != nil {
		return nil, fmt.Errorf("make request: %w", err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, c.dialError(err)
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		return nil, decodeError(resp)
	}
	return resp, nil
}

func (c *Client) dialError(err error) error {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		switch {
		case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ECONNREFUSED):
			return fmt.Errorf("%w: %s (no service on %s)", ErrServiceDown, startHint, c.socket)
		case errors.Is(err, fs.ErrPermission):
			// The socket's mode refuses us before the service can.
			return &Error{Code: CodePermissionDenied, Message: "permission denied on " + c.socket + ": " + accessHint}
		}
	}
	return fmt.Errorf("talk to the wgdesk service on %s: %w", c.socket, err)
}

func decodeError(resp *http.Response) error {
	var eb errorBody
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err := json.Unmarshal(b, &eb); err != nil || eb.Error == nil || eb.Error.Code == "" {
		msg := strings.TrimSpace(string(b))
		if msg == "" {
			msg = resp.Status
		}
		return &Error{Code: CodeInternal, Message: "unexpected answer: " + msg, Status: resp.StatusCode}
	}
	eb.Error.Status = resp.StatusCode
	return eb.Error
}
