package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/wgdesk/wgdesk/tunnel"
	"github.com/wgdesk/wgdesk/tunnel/api"
)

// setUsage lists what `wgdesk set` accepts.
const setUsage = "NAME killswitch=on|off|auto allowlan=on|off autostart=on|off"

// setVerb changes a tunnel's options: `wgdesk set home killswitch=off`.
// Only the settings named change; the others keep their stored values.
func setVerb(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c := newCommand("set", setUsage, stdout, stderr)
	pos, ok := c.parse(args, 2, 4)
	if !ok {
		return exitUsage
	}
	name, assignments := pos[0], pos[1:]
	changes, named, err := parseSettings(assignments)
	if err != nil {
		fmt.Fprintf(stderr, "wgdesk set: %s\n", err)
		c.fs.Usage()
		return exitUsage
	}
	cl := c.client()
	defer cl.Close()
	t, err := cl.Get(ctx, name)
	if err != nil {
		return c.fail(err)
	}
	if t.Options == nil {
		return c.fail(fmt.Errorf("the wgdesk service is too old for tunnel options (kill switch, allow lan); update it and restart it"))
	}

	opts := *t.Options
	changes(&opts)
	t, err = cl.SetOptions(ctx, name, opts)
	if err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(stdout, "%s: kill switch %s, allow LAN %s\n", t.Name, t.Options.KillSwitch, onOff(t.Options.AllowLAN))
	if line := killSwitchText(t); line != "" {
		fmt.Fprintf(stdout, "  kill switch: %s\n", line)
	} else if t.KillSwitch == tunnel.KillSwitchUnused {
		fmt.Fprintln(stdout, "  kill switch: not used, this tunnel does not route all traffic (0.0.0.0/0 or ::/0)")
	}
	if named["autostart"] || t.Options.Autostart {
		fmt.Fprintf(stdout, "  connect at startup: %s\n", autostartText(t.Options.Autostart))
	}
	return exitOK
}

// parseSettings reads key=value arguments into a function that applies
// them to the stored options, and the settings named (by their first
// spelling: killswitch, allowlan, autostart). Keys and values ignore case.
func parseSettings(args []string) (func(*api.OptionsJSON), map[string]bool, error) {
	var fs []func(*api.OptionsJSON)
	seen := map[string]bool{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.ToLower(strings.TrimSpace(v))
		if !ok || v == "" {
			return nil, nil, fmt.Errorf("%q is not a setting: write it as key=value", a)
		}
		key, known := settingKeys[k]
		if !known {
			return nil, nil, fmt.Errorf("unknown setting %q: use killswitch, allowlan or autostart", k)
		}
		if seen[key] {
			return nil, nil, fmt.Errorf("%s is given twice", key)
		}
		seen[key] = true
		switch key {
		case "killswitch":
			ks, err := tunnel.ParseKillSwitch(v)
			if err != nil {
				return nil, nil, fmt.Errorf("killswitch=%s: use on, off or auto", v)
			}
			fs = append(fs, func(o *api.OptionsJSON) { o.KillSwitch = string(ks) })
		case "allowlan":
			on, err := parseOnOff(v)
			if err != nil {
				return nil, nil, fmt.Errorf("allowlan=%s: use on or off", v)
			}
			fs = append(fs, func(o *api.OptionsJSON) { o.AllowLAN = on })
		case "autostart":
			on, err := parseOnOff(v)
			if err != nil {
				return nil, nil, fmt.Errorf("autostart=%s: use on or off", v)
			}
			fs = append(fs, func(o *api.OptionsJSON) { o.Autostart = on })
		}
	}
	return func(o *api.OptionsJSON) {
		for _, f := range fs {
			f(o)
		}
	}, seen, nil
}

// settingKeys maps every accepted spelling of a setting to its name.
var settingKeys = map[string]string{
	"killswitch": "killswitch", "kill-switch": "killswitch", "kill_switch": "killswitch",
	"allowlan": "allowlan", "allow-lan": "allowlan", "allow_lan": "allowlan",
	"autostart": "autostart", "auto-start": "autostart", "auto_start": "autostart",
	"connect-at-startup": "autostart",
}

// autostartText says whether a tunnel connects at startup, for `set` and
// `status`.
func autostartText(on bool) string {
	if on {
		return "on (the service brings it up when it starts and the network is online)"
	}
	return "off"
}

func parseOnOff(v string) (bool, error) {
	switch v {
	case "on", "yes", "true", "1":
		return true, nil
	case "off", "no", "false", "0":
		return false, nil
	}
	return false, fmt.Errorf("%q is neither on nor off", v)
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// killSwitchText says what the kill switch does for t, for `status` and
// `set`; "" for a split tunnel and for a service too old to say.
func killSwitchText(t api.TunnelJSON) string {
	lan := ""
	if t.Options != nil && t.Options.AllowLAN {
		lan = " except the local network"
	}
	switch t.KillSwitch {
	case tunnel.KillSwitchActive:
		return "on (blocking everything outside the tunnel" + lan + ")"
	case tunnel.KillSwitchArmed:
		return "on (blocks everything outside the tunnel" + lan + " while it is up)"
	case tunnel.KillSwitchUnavailable:
		return "on, but not available on this system yet"
	case tunnel.KillSwitchDisabled:
		return "off"
	}
	return ""
}
