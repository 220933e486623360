package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/wgdesk/wgdesk/tunnel"
)

// eventWriteTimeout bounds one write to an event stream, so that a client
// that stops reading cannot hold a goroutine forever.
const eventWriteTimeout = 30 * time.Second

// events serves GET /v1/events: a snapshot of every tunnel, then one line
// per change until the caller hangs up or the server shuts down. Stats
// events carry the tunnel without its config: they come every second per
// active tunnel, and the config (up to 1 MiB of AllowedIPs) has not
// changed; clients keep it from the snapshot or the tunnel's last other
// event.
func (s *server) events(w http.ResponseWriter, r *http.Request) {
	c := callerOf(r)
	release, err := s.openStream(c)
	if err != nil {
		s.opts.Logger.Error("refused an event stream to %s: %v", c.cred, err)
		s.fail(w, r, err)
		return
	}
	s.streams.Add(1)
	defer s.streams.Done()
	// Subscribe before the snapshot so that no change falls between them.
	events, cancel := s.svc.Subscribe()
	defer cancel()
	// Released before the subscription ends: once the service sees a
	// stream go, its place is free.
	defer release()
	rc := http.NewResponseController(w)
	// The stream outlives the server's bounds: no read bound once the
	// request is read (net/http lifts it too, for its check for a
	// hang-up), and each write gets eventWriteTimeout instead of
	// Options.WriteTimeout.
	rc.SetReadDeadline(time.Time{})
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	send := func(ev EventJSON) bool {
		rc.SetWriteDeadline(time.Now().Add(eventWriteTimeout))
		if err := enc.Encode(ev); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send(EventJSON{Kind: EventSnapshot, Time: time.Now(), Tunnels: s.tunnelsJSON(s.svc.List())}) {
		return
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.closing:
			return
		case ev, ok := <-events:
			if !ok {
				return
			}
			if ev.Kind == tunnel.EventStats {
				ev.Tunnel.Config = nil
			}
			t := s.tunnelJSON(ev.Tunnel)
			if !send(EventJSON{Kind: string(ev.Kind), Time: ev.Time, Tunnel: &t}) {
				return
			}
		}
	}
}

// openStream counts an event stream for c, or refuses it with
// too_many_streams when c or all callers together have their most open.
// release undoes the count.
func (s *server) openStream(c caller) (release func(), err error) {
	key := c.who.ID
	if key == "" {
		key = fmt.Sprint(c.cred)
	}
	s.streamsMu.Lock()
	defer s.streamsMu.Unlock()
	switch {
	case s.streamsOf[key] >= s.opts.MaxStreamsPerCaller:
		return nil, &Error{Code: CodeTooManyStreams, Message: fmt.Sprintf(
			"this account has %d event streams open, the most the service allows; close an app window or a watching command first", s.opts.MaxStreamsPerCaller)}
	case s.streamsOpen >= s.opts.MaxStreams:
		return nil, &Error{Code: CodeTooManyStreams, Message: fmt.Sprintf(
			"the service has %d event streams open, the most it allows; try again once one has closed", s.opts.MaxStreams)}
	}
	s.streamsOpen++
	s.streamsOf[key]++
	return func() {
		s.streamsMu.Lock()
		defer s.streamsMu.Unlock()
		s.streamsOpen--
		if s.streamsOf[key]--; s.streamsOf[key] == 0 {
			delete(s.streamsOf, key)
		}
	}, nil
}
