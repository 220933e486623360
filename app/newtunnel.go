//go:build cgo

package app

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/wgdesk/wgdesk/config"
)

// newTunnelFields are the entries of the New tunnel form, as typed. The
// defaults follow the road-warrior example of the RouterOS manual.
type newTunnelFields struct {
	Name       string
	Address    string // this computer's address(es) in the tunnel
	DNS        string
	RouterKey  string // the RouterOS interface's public key
	Endpoint   string // the router's host:port
	AllowedIPs string
	Keepalive  string
}

var defaultNewTunnel = newTunnelFields{
	Name:       "home",
	Address:    "192.168.100.2/24",
	DNS:        "192.168.100.1",
	AllowedIPs: "0.0.0.0/0",
	Keepalive:  "25",
}

// fieldLabels name the form entries after the wg-quick keys the parser
// reports errors for.
var fieldLabels = map[string]string{
	"Address":             "Address",
	"DNS":                 "DNS",
	"PublicKey":           "Router public key",
	"Endpoint":            "Router endpoint",
	"AllowedIPs":          "Allowed IPs",
	"PersistentKeepalive": "Keepalive",
}

// newTunnelText writes the fields as a wg-quick config with priv as the
// interface's private key. Empty optional fields are left out.
func newTunnelText(priv config.Key, f newTunnelFields) string {
	var b strings.Builder
	line := func(k, v string) {
		if v = strings.TrimSpace(v); v != "" {
			fmt.Fprintf(&b, "%s = %s\n", k, v)
		}
	}
	b.WriteString("[Interface]\n")
	line("PrivateKey", priv.String())
	line("Address", f.Address)
	line("DNS", f.DNS)
	b.WriteString("\n[Peer]\n")
	line("PublicKey", f.RouterKey)
	line("AllowedIPs", f.AllowedIPs)
	line("Endpoint", f.Endpoint)
	line("PersistentKeepalive", f.Keepalive)
	return b.String()
}

// missingNewTunnel names, as a request to the user, the first required
// field of the form still empty, or is "" when all are filled in. An empty
// field is not a mistake: the form asks for it without an alarm.
func missingNewTunnel(f newTunnelFields) string {
	for _, req := range []struct{ v, ask string }{
		{f.Name, "Enter a name for the tunnel."},
		{f.Address, "Enter this computer's address in the tunnel."},
		{f.RouterKey, "Enter the router's public key."},
		{f.Endpoint, "Enter the router's endpoint, as host:port."},
	} {
		if strings.TrimSpace(req.v) == "" {
			return req.ask
		}
	}
	return ""
}

// checkNewTunnel validates the form: a name, an address, the router's
// key and endpoint are required; everything else is checked by the same
// parser that checks imported files. The problem, a sentence for the
// form naming the field, is "" when the form is valid.
func checkNewTunnel(priv config.Key, f newTunnelFields) (*config.Config, string) {
	if m := missingNewTunnel(f); m != "" {
		return nil, m
	}
	if got := config.TunnelName(strings.TrimSpace(f.Name)); got != strings.TrimSpace(f.Name) {
		return nil, fmt.Sprintf("Name may hold letters, digits and _=+.- only, at most 32 (for example %q).", got)
	}
	cfg, _, err := config.Parse([]byte(newTunnelText(priv, f)))
	if err != nil {
		var pe *config.ParseError
		if errors.As(err, &pe) {
			label := fieldLabels[pe.Key]
			if label == "" {
				label = pe.Key
			}
			msg := strings.TrimSuffix(pe.Msg, ".") + "."
			if pe.Hint != "" {
				msg += " " + sentence(pe.Hint)
			}
			return nil, label + ": " + msg
		}
		return nil, humanText(err)
	}
	return cfg, ""
}

// routerOSPeerCommand is what to paste into the router's terminal so that
// it accepts this computer: its public key, allowed from its tunnel
// addresses only (each as a host route).
func routerOSPeerCommand(pub config.Key, addrs []netip.Prefix) string {
	hosts := make([]string, 0, len(addrs))
	for _, a := range addrs {
		hosts = append(hosts, netip.PrefixFrom(a.Addr(), a.Addr().BitLen()).String())
	}
	return fmt.Sprintf(`/interface wireguard peers add interface=wireguard1 public-key="%s" allowed-address=%s`,
		pub.String(), strings.Join(hosts, ","))
}

// newTunnelForm is the New tunnel dialog's content and state.
type newTunnelForm struct {
	priv    config.Key
	taken   func(string) bool // whether a tunnel has this name already
	entries map[string]*formEntry
	status  *widget.Label
	command *widget.Label
	create  *widget.Button
	cfg     *config.Config // valid config, nil while the form has errors
}

func (n *newTunnelForm) fields() newTunnelFields {
	e := func(k string) string { return n.entries[k].Text }
	return newTunnelFields{Name: e("Name"), Address: e("Address"), DNS: e("DNS"), RouterKey: e("Router public key"),
		Endpoint: e("Router endpoint"), AllowedIPs: e("Allowed IPs"), Keepalive: e("Keepalive")}
}

// validate re-checks the form after every keystroke.
func (n *newTunnelForm) validate() {
	f := n.fields()
	cfg, problem := checkNewTunnel(n.priv, f)
	name := strings.TrimSpace(f.Name)
	if problem == "" && n.taken(name) {
		cfg, problem = nil, "A tunnel named "+name+" exists already."
	}
	n.cfg = cfg
	v := readyVerdict("Ready to create.", widget.SuccessImportance)
	switch {
	case missingNewTunnel(f) != "":
		v = idleVerdict(problem)
	case problem != "":
		v = problemVerdict(problem)
	}
	v.show(n.status, n.create)
	addrs := []netip.Prefix{}
	if cfg != nil {
		addrs = cfg.Interface.Addresses
	} else if p, err := netip.ParsePrefix(strings.TrimSpace(n.entries["Address"].Text)); err == nil {
		addrs = append(addrs, p)
	}
	n.command.SetText(routerOSPeerCommand(n.priv.PublicKey(), addrs))
}

// showNewTunnel opens the New tunnel dialog: a fresh key pair, the form
// with live validation, and the RouterOS command that admits the key.
func (u *UI) showNewTunnel() {
	priv, err := config.NewPrivateKey()
	if err != nil {
		u.showError("Could not generate a key", err)
		return
	}
	n := u.newTunnelForm(priv)
	var d dialog.Dialog
	n.create.OnTapped = func() {
		// The list may have changed since the last keystroke.
		n.validate()
		if n.cfg == nil {
			return
		}
		d.Hide()
		u.createTunnel(strings.TrimSpace(n.entries["Name"].Text), n.cfg)
	}
	pub := priv.PublicKey().String()
	pubLabel := widget.NewLabel(pub)
	pubLabel.TextStyle.Monospace = true
	copyKey := widget.NewButtonWithIcon("", theme.ContentCopyIcon(), func() { u.app.Clipboard().SetContent(pub) })
	copyCmd := widget.NewButtonWithIcon("", theme.ContentCopyIcon(), func() { u.app.Clipboard().SetContent(n.command.Text) })
	form := widget.NewForm()
	for _, k := range newTunnelOrder {
		form.Append(k, n.entries[k])
	}
	content := container.NewVBox(
		widget.NewLabel("This computer's public key (the private key never leaves it):"),
		container.NewBorder(nil, nil, nil, copyKey, pubLabel),
		form,
		n.status,
		widget.NewLabel("On the router, admit this computer with:"),
		container.NewBorder(nil, nil, nil, copyCmd, n.command),
	)
	cd := dialog.NewCustomWithoutButtons("New tunnel", content, u.win)
	cd.SetButtons([]fyne.CanvasObject{widget.NewButton("Cancel", cd.Hide), n.create})
	cd.Resize(fyne.NewSize(720, 560))
	d = cd
	for _, e := range n.entries {
		e.onEscape = d.Dismiss
		e.OnSubmitted = func(string) { n.create.OnTapped() }
	}
	dialogKeys(u.win.Canvas(), d, n.create.OnTapped)
	d.Show()
	u.win.Canvas().Focus(n.firstToFill())
	u.newForm = n
}

// firstToFill is the entry the user must type in first: the first empty
// one, or Name, whose default may not be what they want.
func (n *newTunnelForm) firstToFill() *formEntry {
	for _, k := range newTunnelOrder {
		if strings.TrimSpace(n.entries[k].Text) == "" && n.entries[k].PlaceHolder != "" {
			return n.entries[k]
		}
	}
	return n.entries["Name"]
}

// createTunnel stores cfg as name in the background and selects it; the
// form checked the name is free, so a clash (made meanwhile elsewhere) is
// an error rather than a quiet name-2.
func (u *UI) createTunnel(name string, cfg *config.Config) {
	text := string(cfg.Marshal())
	go func() {
		ctx, cancel := context.WithTimeout(u.ctx, opTimeout)
		defer cancel()
		_, err := u.client.Import(ctx, name, text)
		u.opts.Do(func() {
			if err != nil {
				u.opts.Logf("create %s: %v", name, err)
				u.showError("Could not create "+name, err)
				return
			}
			u.selectWhenShown(name)
			u.render()
		})
	}()
}

var newTunnelOrder = []string{"Name", "Address", "DNS", "Router public key", "Router endpoint", "Allowed IPs", "Keepalive"}

func (u *UI) newTunnelForm(priv config.Key) *newTunnelForm {
	n := &newTunnelForm{
		priv:    priv,
		taken:   u.model.nameTaken,
		entries: map[string]*formEntry{},
		status:  widget.NewLabel(""),
		command: widget.NewLabel(""),
		create:  widget.NewButtonWithIcon("Create", theme.ConfirmIcon(), nil),
	}
	n.status.Wrapping = fyne.TextWrapWord
	n.command.Wrapping = fyne.TextWrapBreak
	n.command.TextStyle.Monospace = true
	n.create.Importance = widget.HighImportance
	d := defaultNewTunnel
	d.Name = freeName(d.Name, n.taken)
	values := map[string]string{"Name": d.Name, "Address": d.Address, "DNS": d.DNS, "Allowed IPs": d.AllowedIPs, "Keepalive": d.Keepalive}
	placeholders := map[string]string{
		"Router public key": "from /interface wireguard print on the router",
		"Router endpoint":   "vpn.example.com:13231",
	}
	for _, k := range newTunnelOrder {
		e := newFormEntry()
		e.SetText(values[k])
		e.SetPlaceHolder(placeholders[k])
		e.OnChanged = func(string) { n.validate() }
		n.entries[k] = e
	}
	n.validate()
	return n
}

// freeName is base, or the first of base-2, base-3, ... that is not taken.
func freeName(base string, taken func(string) bool) string {
	name := base
	for i := 2; taken(name); i++ {
		name = fmt.Sprintf("%s-%d", base, i)
	}
	return name
}
