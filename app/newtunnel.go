//go:build cgo

package app

import (
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

// checkNewTunnel validates the form: a name, an address, the router's
// key and endpoint are required; everything else is checked by the same
// parser that checks imported files. The problem, a sentence for the
// form naming the field, is "" when the form is valid.
func checkNewTunnel(priv config.Key, f newTunnelFields) (*config.Config, string) {
	for _, req := range []struct{ v, label string }{
		{f.Name, "Name"}, {f.Address, "Address"}, {f.RouterKey, "Router public key"}, {f.Endpoint, "Router endpoint"},
	} {
		if strings.TrimSpace(req.v) == "" {
			return nil, req.label + " is required"
		}
	}
	if got := config.TunnelName(strings.TrimSpace(f.Name)); got != strings.TrimSpace(f.Name) {
		return nil, fmt.Sprintf("Name may hold letters, digits and _=+.- only, at most 32 (for example %q)", got)
	}
	cfg, _, err := config.Parse([]byte(newTunnelText(priv, f)))
	if err != nil {
		var pe *config.ParseError
		if errors.As(err, &pe) {
			label := fieldLabels[pe.Key]
			if label == "" {
				label = pe.Key
			}
			msg := pe.Msg
			if pe.Hint != "" {
				msg += " (" + pe.Hint + ")"
			}
			return nil, label + ": " + msg
		}
		return nil, err.Error()
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
	entries map[string]*widget.Entry
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
	cfg, problem := checkNewTunnel(n.priv, n.fields())
	n.cfg = cfg
	v := readyVerdict("Ready to create.", widget.SuccessImportance)
	if problem != "" {
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
		if n.cfg == nil {
			return
		}
		d.Hide()
		name := strings.TrimSpace(n.entries["Name"].Text)
		cfg := n.cfg
		u.runImport(func() ([]config.Imported, error) {
			return []config.Imported{{Name: name, Source: "New tunnel", Config: cfg}}, nil
		})
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
	d.Show()
	u.newForm = n
}

var newTunnelOrder = []string{"Name", "Address", "DNS", "Router public key", "Router endpoint", "Allowed IPs", "Keepalive"}

func (u *UI) newTunnelForm(priv config.Key) *newTunnelForm {
	n := &newTunnelForm{
		priv:    priv,
		entries: map[string]*widget.Entry{},
		status:  widget.NewLabel(""),
		command: widget.NewLabel(""),
		create:  widget.NewButtonWithIcon("Create", theme.ConfirmIcon(), nil),
	}
	n.status.Wrapping = fyne.TextWrapWord
	n.command.Wrapping = fyne.TextWrapBreak
	n.command.TextStyle.Monospace = true
	n.create.Importance = widget.HighImportance
	d := defaultNewTunnel
	values := map[string]string{"Name": d.Name, "Address": d.Address, "DNS": d.DNS, "Allowed IPs": d.AllowedIPs, "Keepalive": d.Keepalive}
	placeholders := map[string]string{
		"Router public key": "from /interface wireguard print on the router",
		"Router endpoint":   "vpn.example.com:13231",
	}
	for _, k := range newTunnelOrder {
		e := widget.NewEntry()
		e.SetText(values[k])
		e.SetPlaceHolder(placeholders[k])
		e.OnChanged = func(string) { n.validate() }
		n.entries[k] = e
	}
	n.validate()
	return n
}
