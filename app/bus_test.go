//go:build cgo

package app

import "testing"

func TestNoBusAutolaunch(t *testing.T) {
	for _, c := range []struct {
		name   string
		env    map[string]string
		files  map[string]bool
		wantOK bool
		want   string
	}{
		{"no bus at all", map[string]string{"XDG_RUNTIME_DIR": "/run/user/0"}, nil, true, "disabled:"},
		{"no runtime dir", map[string]string{}, nil, true, "disabled:"},
		{"a session bus in the environment", map[string]string{"DBUS_SESSION_BUS_ADDRESS": "unix:path=/run/user/1000/bus"}, nil, false, "unix:path=/run/user/1000/bus"},
		{"the session's socket, no variable (sudo)", map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000"}, map[string]bool{"/run/user/1000/bus": true}, false, ""},
	} {
		env := map[string]string{}
		for k, v := range c.env {
			env[k] = v
		}
		ok := noBusAutolaunch(
			func(k string) string { return env[k] },
			func(k, v string) error { env[k] = v; return nil },
			func(p string) bool { return c.files[p] },
		)
		if ok != c.wantOK || env["DBUS_SESSION_BUS_ADDRESS"] != c.want {
			t.Errorf("%s: disabled %v, address %q; want %v, %q", c.name, ok, env["DBUS_SESSION_BUS_ADDRESS"], c.wantOK, c.want)
		}
	}
}
