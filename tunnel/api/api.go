package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/internal/hints"
	"github.com/wgdesk/wgdesk/tunnel"
	"github.com/wgdesk/wgdesk/tunnel/doctor"
)

// Version is the API version this package speaks, the number after /v in
// every path.
const Version = 1

// Group is the group whose members may use the API besides root.
const Group = "wgdesk"

// Stable error codes. Clients compare these, never the message text.
const (
	CodeNotFound         = "not_found"
	CodeExists           = "exists"
	CodeActive           = "active"
	CodeBadName          = "bad_name"
	CodeConflict         = "conflict"
	CodeScriptsDisabled  = "scripts_disabled"
	CodeBadConfig        = "bad_config"
	CodePermissionDenied = "permission_denied"
	CodeUnsupported      = "unsupported"
	CodeBadRequest       = "bad_request"
	CodeInternal         = "internal"
	// CodeNotOwner: a group member asked to change, delete or export a
	// tunnel another user imported.
	CodeNotOwner = "not_owner"
	// CodeNeedAdmin: a group member's config uses what only an
	// administrator may set (scripts, FwMark, a system routing table, a
	// port below 1024), or its scripts were not written by one.
	CodeNeedAdmin = "need_admin"
	// CodeQuota: a group member's import would exceed its quota.
	CodeQuota = "quota_exceeded"
	// CodeTooManyStreams: the caller, or all callers together, have the
	// most event streams open that the service allows (Options.MaxStreams).
	CodeTooManyStreams = "too_many_streams"
)

// memberHints are what a group member refused by the access model is
// told to do, by code, in this OS's words.
var memberHints = map[string]string{
	CodeNotOwner:  hints.Current().NotOwner,
	CodeNeedAdmin: hints.Current().AdminImport,
	CodeQuota:     hints.Current().Quota,
}

// Error is an error answer of the API. Errors compare equal under
// errors.Is when their codes are equal.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Line is the config line a bad_config error is about; 0 if none.
	Line int `json:"line,omitempty"`
	// Status is the HTTP status the answer came with (client side only).
	Status int `json:"-"`
}

func (e *Error) Error() string { return e.Message }

// Is makes errors.Is(err, &Error{Code: c}) true for any error with code c.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// IsCode reports whether err is, or wraps, an API error with the code.
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// errorBody is the JSON envelope of an error answer.
type errorBody struct {
	Error *Error `json:"error"`
}

// toError maps an error from the service or the config parser to its API
// code and HTTP status. It is the one place where that mapping lives.
func toError(err error) (*Error, int) {
	var apiErr *Error
	if errors.As(err, &apiErr) {
		return apiErr, statusOf(apiErr.Code)
	}
	var perr *config.ParseError
	if errors.As(err, &perr) {
		return &Error{Code: CodeBadConfig, Message: err.Error(), Line: perr.Line}, http.StatusUnprocessableEntity
	}
	code := CodeInternal
	var portErr *tunnel.PortInUseError
	switch {
	case errors.As(err, &portErr): // another program's, not ours
		code = CodeConflict
	case errors.Is(err, tunnel.ErrNotFound):
		code = CodeNotFound
	case errors.Is(err, tunnel.ErrExists):
		code = CodeExists
	case errors.Is(err, tunnel.ErrActive):
		code = CodeActive
	case errors.Is(err, tunnel.ErrBadName):
		code = CodeBadName
	case errors.Is(err, tunnel.ErrConflict):
		code = CodeConflict
	case errors.Is(err, tunnel.ErrScriptsOff):
		code = CodeScriptsDisabled
	case errors.Is(err, tunnel.ErrBadOptions):
		code = CodeBadRequest
	case errors.Is(err, tunnel.ErrNotOwner):
		code = CodeNotOwner
	case errors.Is(err, tunnel.ErrNeedAdmin):
		code = CodeNeedAdmin
	case errors.Is(err, tunnel.ErrQuota):
		code = CodeQuota
	case errors.Is(err, tunnel.ErrUnsupported):
		code = CodeUnsupported
	case errors.Is(err, config.ErrNotConfig):
		code = CodeBadConfig
	}
	msg := err.Error()
	if hint := memberHints[code]; hint != "" {
		msg += ": " + hint
	}
	return &Error{Code: code, Message: msg}, statusOf(code)
}

func statusOf(code string) int {
	switch code {
	case CodeNotFound:
		return http.StatusNotFound
	case CodeExists, CodeActive, CodeConflict:
		return http.StatusConflict
	case CodeBadName, CodeBadRequest:
		return http.StatusBadRequest
	case CodeBadConfig:
		return http.StatusUnprocessableEntity
	case CodeScriptsDisabled, CodePermissionDenied, CodeNotOwner, CodeNeedAdmin, CodeQuota:
		return http.StatusForbidden
	case CodeUnsupported:
		return http.StatusNotImplemented
	case CodeTooManyStreams:
		return http.StatusTooManyRequests
	default:
		return http.StatusInternalServerError
	}
}

// VersionJSON answers GET /v1/version.
type VersionJSON struct {
	API     int    `json:"api"`
	Version string `json:"version"`
}

// LogJSON is the answer of GET /v1/log: the service's latest log lines,
// oldest first.
type LogJSON struct {
	Lines []string `json:"lines"`
}

// TunnelJSON is one tunnel as the API shows it. Config holds the redacted
// config (public keys only) in the shape of `wgdesk parse --json`.
type TunnelJSON struct {
	Name      string          `json:"name"`
	State     tunnel.State    `json:"state"`
	Error     string          `json:"error,omitempty"`
	Interface string          `json:"interface"`
	Since     time.Time       `json:"since,omitzero"`
	Config    json.RawMessage `json:"config,omitempty"`
	Peers     []PeerJSON      `json:"peers"`
	// Options are the tunnel's stored options. A service older than the
	// options leaves them out; Options is then nil.
	Options *OptionsJSON `json:"options,omitempty"`
	// FullTunnel: the config routes 0.0.0.0/0 or ::/0, so the kill switch
	// applies to it.
	FullTunnel bool `json:"full_tunnel,omitempty"`
	// KillSwitch is what the kill switch does now: "unused" (split
	// tunnel), "off", "unavailable" (this system cannot enforce it yet),
	// "armed" (in force while up) or "active" (in force now); "" from a
	// service older than the kill switch.
	KillSwitch tunnel.KillSwitchStatus `json:"kill_switch,omitempty"`
	// KillSwitchActive: everything outside the tunnel is blocked now.
	KillSwitchActive bool `json:"kill_switch_active,omitempty"`
	// AllowLANAvailable: this system can keep the LAN reachable under
	// the kill switch.
	AllowLANAvailable bool `json:"allow_lan_available,omitempty"`
	// Warnings are routes of the tunnel that overlap a subnet this
	// machine is directly connected to, each a sentence naming both and
	// what will not be reachable: from the import, or from the activation
	// while the tunnel is active. Absent from older services.
	Warnings []string `json:"warnings,omitempty"`
	// Owner names who imported the tunnel: "an administrator", "a member
	// (uid 1000)", a Windows SID; "" when it was stored before wgdesk
	// recorded it (then only administrators may change it).
	Owner string `json:"owner,omitempty"`
	// Connection is what the handshakes say while the tunnel is active:
	// "connecting" (no handshake yet), "connected" or "no_handshake"
	// (the peer does not answer); "" otherwise and from a service older
	// than the connection state.
	Connection tunnel.Connection `json:"connection,omitempty"`
}

// OptionsJSON is the body of PUT /v1/tunnels/{name}/options and the
// "options" field of a tunnel: per-tunnel settings kept outside the
// wg-quick text.
type OptionsJSON struct {
	// KillSwitch is "auto" (on for full tunnels; "" means it too), "on"
	// or "off".
	KillSwitch string `json:"kill_switch"`
	AllowLAN   bool   `json:"allow_lan"`
	// Autostart ("connect at startup"): the service brings the tunnel up
	// when it starts and the network is online. Absent from a service
	// older than it, which also refuses it in a request (unknown field).
	Autostart bool `json:"autostart,omitempty"`
}

// Options converts to the service's type.
func (o OptionsJSON) Options() tunnel.Options {
	return tunnel.Options{KillSwitch: tunnel.KillSwitch(o.KillSwitch), AllowLAN: o.AllowLAN, Autostart: o.Autostart}
}

func optionsJSON(o tunnel.Options) *OptionsJSON {
	k := o.KillSwitch
	if k == "" {
		k = tunnel.KillSwitchAuto
	}
	return &OptionsJSON{KillSwitch: string(k), AllowLAN: o.AllowLAN, Autostart: o.Autostart}
}

// PeerJSON holds the live figures of one peer of an active tunnel.
type PeerJSON struct {
	PublicKey     string    `json:"public_key"`
	Endpoint      string    `json:"endpoint"`
	RxBytes       uint64    `json:"rx_bytes"`
	TxBytes       uint64    `json:"tx_bytes"`
	LastHandshake time.Time `json:"last_handshake,omitzero"`
}

// WarningJSON is a parser warning about an imported config.
type WarningJSON struct {
	Line    int    `json:"line,omitempty"`
	Key     string `json:"key,omitempty"`
	Message string `json:"message"`
}

// ImportRequest is the body of POST /v1/tunnels.
type ImportRequest struct {
	Name   string `json:"name"`
	Config string `json:"config"` // wg-quick text
}

// decodeImport reads the body of POST /v1/tunnels: one JSON object with
// only the known fields, nothing after it.
func decodeImport(r io.Reader) (ImportRequest, error) {
	var req ImportRequest
	if err := decodeStrict(r, &req); err != nil {
		return ImportRequest{}, &Error{Code: CodeBadRequest, Message: "read import request: " + err.Error()}
	}
	if req.Name == "" {
		return ImportRequest{}, &Error{Code: CodeBadName, Message: "the tunnel needs a name"}
	}
	return req, nil
}

// decodeOptions reads the body of PUT /v1/tunnels/{name}/options.
func decodeOptions(r io.Reader) (OptionsJSON, error) {
	var req OptionsJSON
	if err := decodeStrict(r, &req); err != nil {
		return OptionsJSON{}, &Error{Code: CodeBadRequest, Message: "read options request: " + err.Error()}
	}
	return req, nil
}

// decodeStrict decodes one JSON value into v, refusing unknown fields
// and anything but white space after it.
func decodeStrict(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			err = errors.New("more than one JSON value")
		}
		return err
	}
	return nil
}

// ImportResponse answers POST /v1/tunnels.
type ImportResponse struct {
	Tunnel   TunnelJSON    `json:"tunnel"`
	Warnings []WarningJSON `json:"warnings"`
}

// DoctorJSON answers POST /v1/tunnels/{name}/doctor: one verdict per
// check, what it saw, the fix and, where the fix is on a RouterOS
// router, the commands to type there. It carries no key but the tunnel's
// public one.
type DoctorJSON = doctor.Report

// Diagnoser is a Service that runs the connection doctor itself (the
// apitest fake does); the real service is given Options.Doctor instead.
type Diagnoser interface {
	Diagnose(ctx context.Context, name string) (DoctorJSON, error)
}

// ConfigResponse answers GET /v1/tunnels/{name}/config.
type ConfigResponse struct {
	Name   string `json:"name"`
	Config string `json:"config"` // wg-quick text, private key included
}

// Event kinds on the event stream: the first line is always a snapshot,
// the rest mirror tunnel.EventKind.
const (
	EventSnapshot = "snapshot"
	EventState    = string(tunnel.EventState)
	EventStats    = string(tunnel.EventStats)
	EventAdded    = string(tunnel.EventAdded)
	EventRemoved  = string(tunnel.EventRemoved)
	EventOptions  = string(tunnel.EventOptions)
	// EventConnection: an active tunnel's Connection changed (connecting,
	// connected, no_handshake). A client that does not know it may treat
	// it as a state event that leaves State as it was.
	EventConnection = string(tunnel.EventConnection)
)

// EventJSON is one line of GET /v1/events. A snapshot carries Tunnels (all
// of them); every other kind carries the one Tunnel it is about. The
// Tunnel of a stats event has no Config (the figures change, the config
// does not): keep the one of the snapshot or of the tunnel's last other
// event.
type EventJSON struct {
	Kind    string       `json:"kind"`
	Time    time.Time    `json:"time"`
	Tunnel  *TunnelJSON  `json:"tunnel,omitempty"`
	Tunnels []TunnelJSON `json:"tunnels,omitempty"`
}

func warningsJSON(ws []config.Warning) []WarningJSON {
	out := make([]WarningJSON, 0, len(ws))
	for _, w := range ws {
		out = append(out, WarningJSON{Line: w.Line, Key: w.Key, Message: w.Message})
	}
	return out
}

// Warning converts back to the config package's type.
func (w WarningJSON) Warning() config.Warning {
	return config.Warning{Line: w.Line, Key: w.Key, Message: w.Message}
}
