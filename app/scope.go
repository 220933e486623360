//go:build cgo

package app

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/tunnel"
)

// The scope prompt: a config imported with AllowedIPs = 0.0.0.0/0 sends
// everything through the router, which is rarely what a RouterOS user
// who wants to reach the home LAN meant. After the import the app asks
// once: keep all traffic, only the router's networks, or all but the
// private ranges. The answer rewrites the AllowedIPs of the stored
// config (config.SetScope; the rest of the text stays byte for byte) and
// the editor's Traffic control changes it later (scopeeditor.go).

// Labels of the three answers, also those of the editor's control.
const (
	scopeAllLabel     = "All traffic through the tunnel"
	scopeRouterLabel  = "Only the router's networks"
	scopePrivateLabel = "All traffic except private ranges (this network's printers and shares stay reachable)"
)

// scopeLabel is the label of a scope; ScopeCustom reads as the router's
// networks (a list of networks is what that answer writes).
func scopeLabel(s config.Scope) string {
	switch s {
	case config.ScopeAll:
		return scopeAllLabel
	case config.ScopePrivate:
		return scopePrivateLabel
	case config.ScopeRouter, config.ScopeCustom:
		return scopeRouterLabel
	}
	return ""
}

func scopeOfLabel(l string) config.Scope {
	switch l {
	case scopeAllLabel:
		return config.ScopeAll
	case scopePrivateLabel:
		return config.ScopePrivate
	case scopeRouterLabel:
		return config.ScopeRouter
	}
	return ""
}

// parseNetworks reads the networks the user typed, comma or space
// separated.
func parseNetworks(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' }) {
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not a network; write it as 192.168.88.0/24", f)
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, errors.New("name at least one network, such as 192.168.88.0/24")
	}
	return out, nil
}

func joinNetworks(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}

// scopePrompt is the dialog asking one imported tunnel's scope.
type scopePrompt struct {
	name     string
	choice   *widget.RadioGroup
	networks *widget.Entry
	problem  *widget.Label
	apply    *widget.Button
	cancel   *widget.Button
	dlg      dialog.Dialog
	// answered runs once the user applied (scope) or kept the config
	// (""), on the UI goroutine; the next prompt waits for it.
	answered func()
}

// allTrafficLabel is the first answer's label, with what the kill switch
// does for the tunnel when the service has said (v.KillSwitch).
func allTrafficLabel(v tunnelView, known bool) string {
	switch {
	case !known:
		return scopeAllLabel
	case v.KillSwitch == tunnel.KillSwitchUnavailable:
		return scopeAllLabel + " (no kill switch on this system: traffic leaks while the tunnel is down)"
	case v.KillSwitch == tunnel.KillSwitchDisabled:
		return scopeAllLabel + " (the kill switch is off)"
	}
	return scopeAllLabel + ", with the kill switch"
}

// scopeWaitModel is how long the import waits for the service's events
// about the new tunnels, which say whether this system has a kill switch
// for them (the prompt's first answer); past it the answer does not say.
const scopeWaitModel = 2 * time.Second

// whenKnown runs f on the UI goroutine once the model has every tunnel
// of items, or after scopeWaitModel.
func (u *UI) whenKnown(items []scopeItem, f func()) {
	deadline := time.Now().Add(scopeWaitModel)
	var try func()
	try = func() {
		for _, it := range items {
			if _, ok := u.model.get(it.name); !ok && time.Now().Before(deadline) {
				time.AfterFunc(20*time.Millisecond, func() { u.opts.Do(try) })
				return
			}
		}
		f()
	}
	try()
}

// askScopes asks the scope of each full tunnel just imported, one
// dialog after the other.
func (u *UI) askScopes(items []scopeItem) {
	if len(items) == 0 {
		return
	}
	u.askScope(items[0], func() { u.askScopes(items[1:]) })
}

// scopeItem is an imported full tunnel: its name and config.
type scopeItem struct {
	name string
	cfg  *config.Config
}

// askScope shows the prompt for one tunnel; next runs when it is
// answered or dismissed.
func (u *UI) askScope(it scopeItem, next func()) {
	v, known := u.model.get(it.name)
	p := &scopePrompt{name: it.name, networks: widget.NewEntry(), problem: widget.NewLabel(""), answered: next}
	allLabel := allTrafficLabel(v, known)
	p.choice = widget.NewRadioGroup([]string{allLabel, scopeRouterLabel, scopePrivateLabel}, func(string) { p.check() })
	p.choice.Required = true
	p.networks.SetText(joinNetworks(config.RouterSuggestion(it.cfg)))
	p.networks.SetPlaceHolder("192.168.88.0/24, 10.0.0.0/24")
	p.networks.OnChanged = func(string) { p.check() }
	p.problem.Wrapping = fyne.TextWrapWord
	p.problem.Importance = widget.DangerImportance
	intro := widget.NewLabel(it.name + " sends all your traffic through the router. What should go through the tunnel?")
	intro.Wrapping = fyne.TextWrapWord
	hint := widget.NewLabel("The router's networks are suggested from the config's DNS server and addresses; change them as needed. Edit… changes this later.")
	hint.Wrapping = fyne.TextWrapWord
	hint.Importance = widget.LowImportance
	p.apply = widget.NewButton("Apply", func() { u.applyScope(p, it, allLabel) })
	p.apply.Importance = widget.HighImportance
	p.cancel = widget.NewButton("Keep as imported", func() {
		p.dlg.Hide()
		p.answered()
	})
	p.choice.SetSelected(allLabel)
	content := container.NewVBox(intro, p.choice, p.networks, hint, p.problem, container.NewHBox(p.cancel, p.apply))
	p.dlg = dialog.NewCustomWithoutButtons("Traffic of "+it.name, content, u.win)
	p.dlg.Resize(fyne.NewSize(560, 0))
	p.check()
	p.dlg.Show()
	u.lastScope = p
}

// check enables the networks entry for the router's networks and Apply
// when they parse.
func (p *scopePrompt) check() {
	router := p.choice.Selected == scopeRouterLabel
	p.problem.SetText("")
	p.apply.Enable()
	if !router {
		p.networks.Disable()
		return
	}
	p.networks.Enable()
	if _, err := parseNetworks(p.networks.Text); err != nil {
		p.problem.SetText(sentence(err.Error()))
		p.apply.Disable()
	}
}

// applyScope stores the answer: all traffic keeps the config (its kill
// switch is on by default where the system has one); the other two
// rewrite its AllowedIPs in the stored text.
func (u *UI) applyScope(p *scopePrompt, it scopeItem, allLabel string) {
	scope := scopeOfLabel(p.choice.Selected)
	if p.choice.Selected == allLabel {
		scope = config.ScopeAll
	}
	var nets []netip.Prefix
	if scope == config.ScopeRouter {
		var err error
		if nets, err = parseNetworks(p.networks.Text); err != nil {
			p.problem.SetText(sentence(err.Error()))
			return
		}
	}
	p.dlg.Hide()
	if scope == config.ScopeAll {
		p.answered()
		return
	}
	// All but the private ranges keeps ::/0, so the tunnel stays a full
	// one whose kill switch would block the LAN this answer means to
	// keep: turn Allow LAN on with it, where the system can.
	v, _ := u.model.get(it.name)
	allowLAN := scope == config.ScopePrivate && v.AllowLANAvailable
	go func() {
		ctx, cancel := context.WithTimeout(u.ctx, opTimeout)
		defer cancel()
		err := setStoredScope(ctx, u.client, it.name, scope, nets)
		if err == nil && allowLAN {
			var cfg *config.Config
			if text, cerr := u.client.Config(ctx, it.name); cerr == nil {
				cfg, _, _ = config.Parse([]byte(text))
			}
			if cfg != nil && tunnel.IsFullTunnel(cfg) {
				o := defaultOptions()
				o.AllowLAN = true
				if _, oerr := u.client.SetOptions(ctx, it.name, o); oerr != nil {
					u.opts.Logf("allow LAN for %s: %v", it.name, oerr)
				}
			}
		}
		u.opts.Do(func() {
			if err != nil {
				u.showError("Could not change the traffic of "+it.name, err)
			}
			p.answered()
		})
	}()
}

// setStoredScope rewrites the AllowedIPs of the stored config of name:
// it reads the full text, changes only the peer's AllowedIPs with the
// config writer and stores it in place of the old (replaceConfig). The
// tunnel must be inactive, as a just imported one is.
func setStoredScope(ctx context.Context, c Client, name string, scope config.Scope, nets []netip.Prefix) error {
	oldText, err := c.Config(ctx, name)
	if err != nil {
		return err
	}
	cfg, _, err := config.Parse([]byte(oldText))
	if err != nil {
		return fmt.Errorf("read the stored config of %s: %w", name, err)
	}
	if err := config.SetScope(cfg, scope, nets); err != nil {
		return err
	}
	newText := string(cfg.Marshal())
	if newText == oldText {
		return nil
	}
	return replaceConfig(ctx, c, name, oldText, newText)
}
