//go:build cgo

package app

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/wgdesk/wgdesk/app/tray"
	"github.com/wgdesk/wgdesk/assets"
	"github.com/wgdesk/wgdesk/tunnel"
	"github.com/wgdesk/wgdesk/tunnel/api"
)

// opTimeout bounds one request to the service made for a click; bringing
// a tunnel up may resolve host names, so it is generous.
const opTimeout = 2 * time.Minute

// Options tune a UI. The zero value works; Main fills in production values.
type Options struct {
	// Socket is the service's socket path, shown when it is unreachable.
	Socket string
	// Logf receives diagnostics (never keys). Nil discards them.
	Logf func(format string, args ...any)
	// Now is the clock for "12 s ago" (default time.Now).
	Now func() time.Time
	// Do runs f on the UI goroutine; every change made from another
	// goroutine goes through it. Default fyne.Do.
	Do func(f func())
	// RetryMin and RetryMax bound the back-off between attempts to reach
	// the service (defaults 1s and 30s).
	RetryMin, RetryMax time.Duration
	// Refresh is the shortest time between two redraws of the live figures
	// (visibility.go), and how often "12 s ago" moves while the selected
	// tunnel is active; 0 draws every event at once and runs no timer.
	Refresh time.Duration
	// AfterFunc arms the timer of the timed redraws (default
	// time.AfterFunc); tests pass a fake clock's.
	AfterFunc afterFunc
	// Tray installs the system tray icon and menu when the fyne.App is a
	// desktop.App. Main sets it only when a tray host is present.
	Tray bool
	// OnChange is called on the UI goroutine after each change to the
	// widgets (tests wait on it).
	OnChange func()
	// Installer, if set, lets the banner offer to install the service
	// (see installoffer.go).
	Installer ServiceInstaller
	// Login turns starting the app at login on and off (Settings;
	// autostart.go). Nil: not available.
	Login LoginStarter
	// OnDiagnose, if set, runs the connection doctor on a tunnel (the
	// tray's Diagnose entry for a tunnel without a handshake).
	OnDiagnose func(name string)
}

// UI is the main window, its tray menu and the connection to the service.
// Its methods run on the UI goroutine unless they say otherwise.
type UI struct {
	app    fyne.App
	client Client
	opts   Options
	win    fyne.Window

	model     model
	redraw    redrawState     // what is drawn when (visibility.go)
	connected bool            // following the event stream
	connErr   error           // why the last attempt to follow failed
	busy      map[string]bool // tunnels with an up or down in flight
	selected  string
	preferred string // the tunnel the user last selected, from the preferences
	// selectNext is a tunnel to select as soon as the list shows it: the
	// new name of a renamed tunnel, whose event may come after the answer.
	selectNext string

	banner      *fyne.Container
	bannerText  *bannerView
	installBtn  *widget.Button // the banner's offer to install the service
	installing  bool           // an install runs
	status      *widget.Label  // placeholder in the list while not connected
	list        *fyne.Container
	rows        map[string]*tunnelRow
	detail      *fyne.Container
	pane        *detailPane           // what detail shows now
	summary     string                // text of the last import summary shown
	newForm     *newTunnelForm        // the last New tunnel form opened
	lastEditor  *editor               // the last editor opened
	lastScope   *scopePrompt          // the last scope prompt shown (scope.go)
	logView     *logView              // the open log window, if any
	lastFill    time.Time             // when fillDetail last ran
	listKey     string                // what the tunnel list was last drawn from
	title       string                // the window title last set
	lastRename  *renameForm           // the last Rename dialog opened
	lastConfirm *dialog.ConfirmDialog // the last Delete confirmation opened
	lastDoctor  *doctorView           // the open Diagnose window (doctor.go)

	lastSettings *settingsDialog // the last Settings dialog opened

	// noHandshakeSaid: tunnels whose "no handshake" notification this
	// activation got (connection.go).
	noHandshakeSaid map[string]bool

	desk      desktop.App // nil without a tray
	trayItems []tray.Item
	trayMenu  *fyne.Menu
	trayIcon  tray.Icon

	retry  chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
}

// New builds the main window of a on top of c; Start connects it.
func New(a fyne.App, c Client, opts Options) *UI {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Do == nil {
		opts.Do = fyne.Do
	}
	if opts.AfterFunc == nil {
		opts.AfterFunc = timeAfterFunc
	}
	if opts.RetryMin <= 0 {
		opts.RetryMin = time.Second
	}
	if opts.RetryMax < opts.RetryMin {
		opts.RetryMax = max(30*time.Second, opts.RetryMin)
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	u := &UI{
		app:      a,
		client:   c,
		opts:     opts,
		busy:     map[string]bool{},
		rows:     map[string]*tunnelRow{},
		retry:    make(chan struct{}, 1),
		trayIcon: -1,
	}
	u.ctx, u.cancel = context.WithCancel(context.Background())
	u.build()
	return u
}

// Window is the main window.
func (u *UI) Window() fyne.Window { return u.win }

func (u *UI) build() {
	u.win = u.app.NewWindow("wgdesk")
	u.win.SetIcon(fyne.NewStaticResource("wgdesk.png", assets.AppIcon))

	u.bannerText = newBannerView()
	retry := widget.NewButtonWithIcon("Retry now", theme.ViewRefreshIcon(), u.retryNow)
	u.installBtn = u.newInstallButton()
	bannerBg := canvas.NewRectangle(bannerTint())
	u.banner = container.NewStack(bannerBg, container.NewPadded(container.NewBorder(nil, nil,
		container.NewVBox(widget.NewIcon(theme.NewErrorThemedResource(theme.WarningIcon()))),
		container.NewVBox(retry, u.installBtn), u.bannerText)))
	u.banner.Hide()

	importBtn := widget.NewButtonWithIcon("Import…", theme.FolderOpenIcon(), u.showImportDialog)
	pasteBtn := widget.NewButtonWithIcon("Paste", theme.ContentPasteIcon(), u.importClipboard)
	newBtn := widget.NewButtonWithIcon("New tunnel…", theme.ContentAddIcon(), u.showNewTunnel)
	exportAllBtn := widget.NewButtonWithIcon("Export all…", theme.DocumentSaveIcon(), u.showExportAllDialog)
	logBtn := widget.NewButtonWithIcon("Log", theme.ListIcon(), u.showLog)
	settingsBtn := widget.NewButtonWithIcon("Settings…", theme.SettingsIcon(), u.showSettings)
	bar := container.NewHBox(importBtn, pasteBtn, newBtn, exportAllBtn, logBtn, settingsBtn)

	u.status = widget.NewLabel("Connecting to the wgdesk service…")
	// The empty list says what to do in a sentence that must wrap in the
	// list's width instead of pushing the split wider.
	u.status.Wrapping = fyne.TextWrapWord
	u.list = container.NewVBox(u.status)
	u.detail = container.NewVBox()
	split := container.NewHSplit(container.NewVScroll(u.list), container.NewVScroll(container.NewPadded(u.detail)))
	split.Offset = 0.35

	u.win.SetContent(container.NewBorder(container.NewVBox(bar, u.banner), nil, nil, nil, split))
	u.win.Resize(savedWindowSize(u.app.Preferences()))
	u.preferred = u.app.Preferences().String(prefSelected)
	u.win.SetOnClosed(u.saveWindowState)
	u.win.SetOnDropped(u.onDropped)
	// The list paints its selection in a theme colour: draw it again when
	// the system switches between light and dark.
	u.app.Settings().AddListener(func(fyne.Settings) {
		u.opts.Do(func() {
			bannerBg.FillColor = bannerTint()
			bannerBg.Refresh()
			u.listKey = ""
			u.render()
		})
	})
	c := u.win.Canvas()
	// Import, New tunnel and Paste wait while a dialog is open: a second
	// dialog would stack on the first, and Ctrl+V in a dialog means the
	// dialog's field.
	unlessDialog := func(f func()) func(fyne.Shortcut) {
		return func(fyne.Shortcut) {
			if !dialogOpen(u.win) {
				f()
			}
		}
	}
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyI, Modifier: fyne.KeyModifierShortcutDefault},
		unlessDialog(u.showImportDialog))
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyN, Modifier: fyne.KeyModifierShortcutDefault},
		unlessDialog(u.showNewTunnel))
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyQ, Modifier: fyne.KeyModifierShortcutDefault},
		func(fyne.Shortcut) { u.quit() })
	c.AddShortcut(&fyne.ShortcutPaste{}, unlessDialog(u.importClipboard))

	if desk, ok := u.app.(desktop.App); ok && u.opts.Tray {
		u.desk = desk
		// SetSystemTrayWindow sets its own close intercept and tray click
		// handler, so ours come after it.
		desk.SetSystemTrayWindow(u.win)
		u.win.SetCloseIntercept(u.hideToTray)
		u.trackTrayTaps() // a left click on the icon shows the window
	}
	u.render()
}

// onDropped imports the local files dropped on the window; other URIs
// (a link dragged from a browser) are ignored.
func (u *UI) onDropped(_ fyne.Position, uris []fyne.URI) {
	var paths []string
	for _, uri := range uris {
		if uri.Scheme() == "file" {
			paths = append(paths, uri.Path())
		}
	}
	if len(paths) > 0 {
		u.importFiles(paths)
	}
}

// Start follows the service's events in the background, reconnecting
// with back-off. It returns at once.
func (u *UI) Start() {
	u.done = make(chan struct{})
	go u.follow()
}

// Stop ends the background work and waits for it. Safe to call twice.
func (u *UI) Stop() {
	u.cancel()
	if u.done != nil {
		<-u.done
	}
}

// Raise shows the window and brings it to the front (a second launch of
// the app asks for it).
func (u *UI) Raise() {
	u.showWindow()
	u.win.RequestFocus()
}

func (u *UI) quit() {
	u.saveWindowState()
	u.cancel()
	u.app.Quit()
}

func (u *UI) retryNow() {
	select {
	case u.retry <- struct{}{}:
	default:
	}
}

// follow runs on its own goroutine: it opens the event stream, feeds its
// events to the UI and, when the service is away, reports it and retries
// with a doubling delay.
func (u *UI) follow() {
	defer close(u.done)
	wait := u.opts.RetryMin
	var logged string // the last reason logged, to log each only once
	for {
		stream, err := u.client.Events(u.ctx)
		if err == nil {
			wait, logged = u.opts.RetryMin, ""
			for ev := range stream.C {
				u.opts.Do(func() { u.onEvent(ev) })
			}
			err = stream.Err()
			if err == nil && u.ctx.Err() != nil {
				return
			}
			if err == nil {
				err = errors.New("event stream ended")
			}
		}
		if u.ctx.Err() != nil {
			return
		}
		if err.Error() != logged {
			logged = err.Error()
			u.opts.Logf("service unreachable, retrying with back-off up to %s: %v", u.opts.RetryMax, err)
		}
		u.opts.Do(func() { u.onDisconnect(err) })
		t := time.NewTimer(wait)
		select {
		case <-u.ctx.Done():
			t.Stop()
			return
		case <-u.retry:
			t.Stop()
		case <-t.C:
		}
		wait = min(2*wait, u.opts.RetryMax)
	}
}

func (u *UI) onEvent(ev api.EventJSON) {
	// State changes may happen while the window is hidden (a tunnel that
	// fails on its own because the network went away, or one switched from
	// the tray or the command line): say so on the desktop. The snapshot
	// that starts a stream is what is, not a change, so it stays quiet.
	if t := ev.Tunnel; t != nil {
		old, ok := u.model.get(t.Name)
		u.notifyEvent(ev, old, ok)
	}
	u.connected = true
	u.connErr = nil
	u.model.apply(ev)
	// A stats event's figures may wait for the next timed redraw.
	u.redraw.figuresOnly = ev.Kind == api.EventStats
	u.render()
	u.redraw.figuresOnly = false
}

// transitionNotification is the desktop notification for a tunnel that
// was in state was and now is t, or nil when the change is not worth one:
// it becomes active, it goes down after being up, or it fails.
func transitionNotification(was tunnel.State, t api.TunnelJSON) *fyne.Notification {
	if was == t.State {
		return nil
	}
	switch t.State {
	case tunnel.StateActive:
		msg := "The tunnel is up."
		if t.Interface != "" {
			msg = "The tunnel is up on " + t.Interface + "."
		}
		return fyne.NewNotification("wgdesk: "+t.Name+" connected", msg)
	case tunnel.StateInactive:
		if was != tunnel.StateActive && was != tunnel.StateDeactivating {
			return nil // a failed or aborted start is not a disconnect
		}
		return fyne.NewNotification("wgdesk: "+t.Name+" disconnected", "The tunnel is down.")
	case tunnel.StateFailed:
		msg := t.Error
		if msg == "" {
			msg = "The tunnel stopped working."
		}
		return fyne.NewNotification("wgdesk: "+t.Name+" failed", msg)
	}
	return nil
}

func (u *UI) onDisconnect(err error) {
	u.connected = false
	u.connErr = err
	u.render()
}

// bannerMessage tells the user why the service is unreachable and what to
// do about it.
func bannerMessage(err error, socket string) string {
	switch {
	case errors.Is(err, api.ErrServiceDown):
		return "The wgdesk service is not running. " + osHints().StartBanner + "\n" +
			"wgdesk keeps trying to reach it on " + socket + "."
	case errors.Is(err, io.EOF):
		return "The wgdesk service stopped. wgdesk reconnects when it is back."
	case api.IsCode(err, api.CodePermissionDenied):
		return "You may not use the wgdesk service. " + osHints().AccessBanner
	}
	return "Lost the connection to the wgdesk service (" + err.Error() + "). Retrying…"
}

// windowTitle names the active tunnels, or says the service is away, so
// that a task bar shows the state.
func windowTitle(connected bool, connErr error, ts []tunnelView) string {
	if !connected {
		if connErr != nil {
			return "wgdesk — service not running"
		}
		return "wgdesk"
	}
	var active []string
	for _, t := range ts {
		if t.State == tunnel.StateActive {
			active = append(active, t.Name)
		}
	}
	if len(active) == 0 {
		return "wgdesk"
	}
	return "wgdesk — connected: " + strings.Join(active, ", ")
}

// render brings the tray, and the window unless it is hidden to the tray,
// in line with the model.
func (u *UI) render() {
	if !u.redraw.inTray { // showWindow draws it when it comes back
		u.renderWindow()
	}
	u.renderTray()
	if u.opts.OnChange != nil {
		u.opts.OnChange()
	}
}

// renderWindow brings every widget of the window in line with the model.
func (u *UI) renderWindow() {
	if u.connErr != nil {
		u.bannerText.SetText(bannerMessage(u.connErr, u.opts.Socket))
		u.banner.Show()
	} else {
		u.banner.Hide()
	}
	u.renderInstallOffer()
	u.renderList()
	u.renderDetail()
	if title := windowTitle(u.connected, u.connErr, u.model.tunnels); title != u.title {
		u.title = title
		u.win.SetTitle(title)
	}
}

// renderList draws the tunnel list when what it shows changed: the
// service's figures, once a second, change nothing in it.
func (u *UI) renderList() {
	if u.listState() == u.listKey {
		return
	}
	objs := make([]fyne.CanvasObject, 0, len(u.model.tunnels)+1)
	switch {
	case !u.connected && len(u.model.tunnels) == 0:
		if u.connErr != nil {
			u.status.SetText("The service is not reachable.")
		}
		objs = append(objs, u.status)
	case len(u.model.tunnels) == 0:
		u.status.SetText("No tunnels yet. Import a .conf, .zip or QR code image, or drop one here.")
		objs = append(objs, u.status)
	}
	if _, ok := u.model.index(u.selectNext); ok && u.selectNext != "" {
		u.selected, u.selectNext = u.selectNext, ""
	}
	seen := map[string]bool{}
	for _, t := range u.model.tunnels {
		seen[t.Name] = true
		r, ok := u.rows[t.Name]
		if !ok {
			name := t.Name
			r = newTunnelRow(name, func() { u.selectTunnel(name) }, func(on bool) { u.setActive(name, on) })
			u.rows[name] = r
		}
		r.update(t.State, t.Connection, u.busy[t.Name] || !u.connected, t.Name == u.selected)
		objs = append(objs, r)
	}
	for name := range u.rows {
		if !seen[name] {
			delete(u.rows, name)
		}
	}
	if u.selected != "" && !seen[u.selected] {
		u.selected = ""
	}
	if u.selected == "" && len(u.model.tunnels) > 0 {
		// Start on the tunnel the user chose last time, else the first
		// active tunnel, else the first one.
		first := u.model.tunnels[0]
		if i, ok := u.model.index(u.preferred); ok && u.preferred != "" {
			first = u.model.tunnels[i]
		} else if i := slices.IndexFunc(u.model.tunnels, func(t tunnelView) bool { return t.State == tunnel.StateActive }); i >= 0 {
			first = u.model.tunnels[i]
		}
		u.selected = first.Name
		u.rows[u.selected].update(first.State, first.Connection, u.busy[u.selected] || !u.connected, true)
	}
	u.list.Objects = objs
	u.list.Refresh()
	// After the selection above, so that the next event that changes
	// nothing does not draw the list again.
	u.listKey = u.listState()
}

// listState is everything the tunnel list is drawn from, as a string.
func (u *UI) listState() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%t|%v|%s|%s", u.connected, u.connErr, u.selected, u.selectNext)
	for _, t := range u.model.tunnels {
		fmt.Fprintf(&b, "|%s %s %s %t", t.Name, t.State, t.Connection, u.busy[t.Name])
	}
	return b.String()
}

func (u *UI) selectTunnel(name string) {
	u.selected = name
	u.preferred = name
	u.app.Preferences().SetString(prefSelected, name)
	u.render()
}

// setActive asks the service to bring name up or down. The answer only
// matters when it is an error: the new state arrives as an event.
func (u *UI) setActive(name string, on bool) {
	if u.busy[name] || !u.connected {
		return
	}
	u.busy[name] = true
	u.render()
	go func() {
		ctx, cancel := context.WithTimeout(u.ctx, opTimeout)
		defer cancel()
		var err error
		verb := "deactivate"
		if on {
			verb = "activate"
			_, err = u.client.Up(ctx, name)
		} else {
			_, err = u.client.Down(ctx, name)
		}
		u.opts.Do(func() {
			delete(u.busy, name)
			if err != nil {
				u.opts.Logf("%s %s: %v", verb, name, err)
				u.showError(fmt.Sprintf("Could not %s %s", verb, name), err)
			}
			u.render()
		})
	}()
}

// showError shows err, in sentences, in a dialog titled with what failed.
func (u *UI) showError(what string, err error) {
	u.showText(what, humanText(err))
}

// showText shows text in a dialog with a Close button, sized to the text
// up to a limit past which it scrolls. Escape and Return close it.
func (u *UI) showText(title, text string) dialog.Dialog {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	scroll := container.NewVScroll(l)
	scroll.SetMinSize(fyne.NewSize(textDialogWidth, wrappedHeight(text, textDialogWidth, 360)))
	d := dialog.NewCustom(title, "Close", scroll, u.win)
	dialogKeys(u.win.Canvas(), d, nil)
	d.Show()
	return d
}

// textDialogWidth is the width of the text in message dialogs.
const textDialogWidth = 480

// wrappedHeight estimates the height of a word-wrapped label showing text
// in width, at most limit: a wrapped label only knows its height once it
// has been laid out, too late to size the dialog around it.
func wrappedHeight(text string, width, limit float32) float32 {
	size := theme.TextSize()
	pad := theme.InnerPadding()
	lineH := fyne.MeasureText("Mg", size, fyne.TextStyle{}).Height
	var rows float32
	for _, line := range strings.Split(text, "\n") {
		w := fyne.MeasureText(line, size, fyne.TextStyle{}).Width
		// a little slack: wrapping at word boundaries leaves each row short
		rows += max(1, float32(math.Ceil(float64(w/(width-2*pad)*1.1))))
	}
	return min(limit, rows*lineH+2*pad)
}

// tunnelRow is one line of the tunnel list: a switch, the name and a
// state badge. Tapping it selects the tunnel.
type tunnelRow struct {
	widget.BaseWidget
	name   string
	bg     *canvas.Rectangle
	toggle *widget.Check
	title  *widget.Label
	badge  *widget.Label
	onTap  func()
	onFlip func(bool)
}

func newTunnelRow(name string, onTap func(), onFlip func(bool)) *tunnelRow {
	r := &tunnelRow{
		name:   name,
		bg:     canvas.NewRectangle(color.Transparent),
		toggle: widget.NewCheck("", nil),
		title:  widget.NewLabel(name),
		badge:  widget.NewLabel(""),
		onTap:  onTap,
		onFlip: onFlip,
	}
	r.title.TextStyle.Bold = true
	r.title.Truncation = fyne.TextTruncateEllipsis
	r.ExtendBaseWidget(r)
	return r
}

func (r *tunnelRow) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewStack(r.bg, container.NewBorder(nil, nil, r.toggle, r.badge, r.title)))
}

// Tapped selects the tunnel.
func (r *tunnelRow) Tapped(*fyne.PointEvent) { r.onTap() }

// update shows state s; busy disables the switch until the service
// answers or while the service is away.
func (r *tunnelRow) update(s tunnel.State, c tunnel.Connection, busy, selected bool) {
	r.toggle.OnChanged = nil // SetChecked would call it
	r.toggle.SetChecked(s == tunnel.StateActive || s == tunnel.StateActivating)
	r.toggle.OnChanged = r.onFlip
	if busy || s == tunnel.StateActivating || s == tunnel.StateDeactivating {
		r.toggle.Disable()
	} else {
		r.toggle.Enable()
	}
	text, importance := badgeOf(s, c)
	r.badge.SetText(text)
	r.badge.Importance = importance
	r.badge.Refresh()
	if selected {
		r.bg.FillColor = theme.Color(theme.ColorNameSelection)
	} else {
		r.bg.FillColor = color.Transparent
	}
	r.bg.Refresh()
}

// detailPane is the built pane of one tunnel: rebuilt when the tunnel,
// its config or its error change, otherwise only its live labels are
// updated, so that a selection in it survives the stats event that the
// service sends every second.
type detailPane struct {
	key     string // name, config and error it was built for
	state   *widget.Label
	peers   map[string]*peerLabels // by public key
	options *optionsView           // kill switch, Allow LAN, autostart; nil for an old service
	// driftAt is when "12 s ago" and the graphs were last drawn
	// (visibility.go, driftStep).
	driftAt time.Time
}

type peerLabels struct {
	configured                  string // endpoint from the config
	endpoint, handshake, rx, tx *widget.Label
	graph                       *trafficGraph
}

// renderDetail shows the selected tunnel.
func (u *UI) renderDetail() {
	v, ok := u.model.get(u.selected)
	if !ok {
		u.cancelTimedFill()
		if u.pane != nil || len(u.detail.Objects) > 0 {
			u.pane = nil
			u.detail.Objects = nil
			u.detail.Refresh()
		}
		return
	}
	if key := v.Name + "\x00" + string(v.Config) + "\x00" + v.Error + "\x00" + strings.Join(v.Warnings, "\n"); u.pane == nil || u.pane.key != key {
		u.pane = u.buildDetail(v)
		u.pane.key = key
	} else if u.redraw.figuresOnly && !u.fillDue() {
		u.fillLater() // the figures of a stats event wait for the period's end
		return
	}
	u.fillDetail(v)
}

// fillDetail writes the live state and figures into the pane.
func (u *UI) fillDetail(v tunnelView) {
	u.lastFill = u.opts.Now()
	// "12 s ago" moves while the tunnel is active, figures or not.
	if v.State == tunnel.StateActive {
		u.fillLater()
	}
	state := stateText(v.State)
	if v.Interface != "" {
		state += " on " + v.Interface
	}
	if c := connectionText(v.Connection); c != "" && v.State == tunnel.StateActive {
		state += ", " + c
	}
	if !v.Since.IsZero() {
		state += ", since " + v.Since.Local().Format("2006-01-02 15:04:05")
	}
	changed := setText(u.pane.state, state)
	u.fillOptions(u.pane.options, v)
	// What only drifts with the clock waits for a change to draw along
	// with, or for driftStep (visibility.go).
	type drift struct {
		l         *peerLabels
		handshake string
		rates     []trafficRate
	}
	var drifts []drift
	for key, l := range u.pane.peers {
		endpoint, handshake, rx, tx := l.configured, "never", "0 B", "0 B"
		if endpoint == "" {
			endpoint = "none (waits for the peer)"
		}
		if i := slices.IndexFunc(v.Peers, func(p api.PeerJSON) bool { return p.PublicKey == key }); i >= 0 {
			live := v.Peers[i]
			if live.Endpoint != "" && live.Endpoint != l.configured {
				endpoint = live.Endpoint + " (configured " + endpoint + ")"
			}
			handshake = ago(u.opts.Now(), live.LastHandshake)
			rx, tx = humanBytes(live.RxBytes), humanBytes(live.TxBytes)
		}
		changed = setText(l.endpoint, endpoint) || changed
		changed = setText(l.rx, rx) || changed
		changed = setText(l.tx, tx) || changed
		drifts = append(drifts, drift{l, handshake, u.model.rates(v.Name, key)})
	}
	if u.driftDue(changed) {
		u.pane.driftAt = u.lastFill
		for _, d := range drifts {
			setText(d.l.handshake, d.handshake)
			d.l.graph.SetRates(d.rates)
		}
	}
}

// setText sets the text of l and reports whether it changed.
func setText(l *widget.Label, s string) bool {
	if l.Text == s {
		return false
	}
	l.SetText(s)
	return true
}

// buildDetail lays out the pane of v; fillDetail fills its live labels.
func (u *UI) buildDetail(v tunnelView) *detailPane {
	pane := &detailPane{state: widget.NewLabel(""), peers: map[string]*peerLabels{}}
	title := widget.NewLabel(v.Name)
	title.TextStyle.Bold = true
	title.SizeName = theme.SizeNameSubHeadingText
	pane.state.Wrapping = fyne.TextWrapWord
	objs := []fyne.CanvasObject{container.NewBorder(nil, nil, title, nil, pane.state)}
	if v.Error != "" {
		e := widget.NewLabel("Error: " + v.Error)
		e.Importance = widget.DangerImportance
		e.Wrapping = fyne.TextWrapWord
		objs = append(objs, e)
	}
	// Subnet collisions the service found at import or activation.
	for _, w := range v.Warnings {
		l := widget.NewLabel("Warning: " + sentence(w))
		l.Importance = widget.WarningImportance
		l.Wrapping = fyne.TextWrapWord
		objs = append(objs, l)
	}
	name := v.Name
	// The buttons wrap onto a second row in a narrow window rather than
	// widening the pane past it.
	actions := container.New(newFlowLayout(),
		widget.NewButtonWithIcon("Edit…", theme.DocumentCreateIcon(), func() { u.showEditor(name) }),
		widget.NewButtonWithIcon("Rename…", theme.DocumentCreateIcon(), func() { u.showRename(name) }),
		widget.NewButtonWithIcon("Export…", theme.DocumentSaveIcon(), func() { u.showExportDialog(name) }),
		widget.NewButtonWithIcon("QR code", theme.VisibilityIcon(), func() { u.showQR(name) }),
		widget.NewButtonWithIcon("Diagnose…", theme.SearchIcon(), func() { u.showDoctor(name) }),
		widget.NewButtonWithIcon("Delete…", theme.DeleteIcon(), func() { u.confirmDelete(name) }),
	)
	objs = append(objs, actions)

	if c := v.Cfg; c != nil {
		in := c.Interface
		pub := widget.NewLabel(in.PublicKey)
		pub.TextStyle.Monospace = true
		pub.Wrapping = fyne.TextWrapBreak
		pubKey := in.PublicKey
		copyBtn := widget.NewButtonWithIcon("", theme.ContentCopyIcon(), func() {
			u.app.Clipboard().SetContent(pubKey)
		})
		if pubKey == "" {
			pub.SetText("unknown")
			copyBtn.Disable()
		}
		port, mtu := "random", "automatic"
		if in.ListenPort != 0 {
			port = strconv.Itoa(int(in.ListenPort))
		}
		if in.MTU != 0 {
			mtu = strconv.Itoa(int(in.MTU))
		}
		dns := orNone(append(append([]string(nil), in.DNS...), in.DNSSearch...))
		objs = append(objs, widget.NewCard("Interface", "", form(
			"Public key", container.NewBorder(nil, nil, nil, copyBtn, pub),
			"Addresses", valueLabel(orNone(in.Addresses)),
			"DNS", valueLabel(dns),
			"Listen port", valueLabel(port),
			"MTU", valueLabel(mtu),
		)))
		pane.options = u.newOptionsView(v)
		objs = append(objs, pane.options.cards()...)
		for _, p := range c.Peers {
			objs = append(objs, peerCard(p, pane))
		}
	} else {
		objs = append(objs, widget.NewLabel("The service sent no configuration for this tunnel."))
	}
	u.detail.Objects = objs
	u.detail.Refresh()
	return pane
}

// peerCard lays out one peer and registers its live labels in pane.
func peerCard(p peerConfig, pane *detailPane) fyne.CanvasObject {
	l := &peerLabels{
		configured: p.Endpoint,
		endpoint:   valueLabel(""),
		handshake:  valueLabel(""),
		rx:         valueLabel(""),
		tx:         valueLabel(""),
		graph:      newTrafficGraph(),
	}
	pane.peers[p.PublicKey] = l
	keepalive := "off"
	if p.PersistentKeepalive != 0 {
		keepalive = fmt.Sprintf("every %d s", p.PersistentKeepalive)
	}
	psk := "no"
	if p.HasPresharedKey {
		psk = "yes"
	}
	key := valueLabel(p.PublicKey)
	key.TextStyle.Monospace = true
	return widget.NewCard("Peer", "", form(
		"Public key", key,
		"Endpoint", l.endpoint,
		"Allowed IPs", valueLabel(orNone(p.AllowedIPs)),
		"Latest handshake", l.handshake,
		"Received", l.rx,
		"Sent", l.tx,
		"Traffic", l.graph,
		"Keepalive", valueLabel(keepalive),
		"Preshared key", valueLabel(psk),
	))
}

func valueLabel(s string) *widget.Label {
	l := widget.NewLabel(s)
	l.Wrapping = fyne.TextWrapBreak
	l.Selectable = true
	return l
}

// form lays out label/value pairs in two columns.
func form(pairs ...any) fyne.CanvasObject {
	f := widget.NewForm()
	for i := 0; i+1 < len(pairs); i += 2 {
		f.Append(pairs[i].(string), pairs[i+1].(fyne.CanvasObject))
	}
	return f
}

// trayState is what the tray reflects now.
func (u *UI) trayState() tray.State {
	s := tray.State{Connected: u.connected, CanDiagnose: u.opts.OnDiagnose != nil}
	for _, t := range u.model.tunnels {
		s.Tunnels = append(s.Tunnels, tray.Tunnel{Name: t.Name, State: t.State, Busy: u.busy[t.Name], Connection: t.Connection})
	}
	return s
}

// renderTray rebuilds the tray menu when its entries changed and swaps the
// icon when the overall state changed.
func (u *UI) renderTray() {
	s := u.trayState()
	items := tray.Menu(s)
	if u.trayMenu == nil || !slices.Equal(items, u.trayItems) {
		u.trayItems = items
		u.trayMenu = fyne.NewMenu("wgdesk", u.menuItems(items)...)
		if u.desk != nil {
			u.desk.SetSystemTrayMenu(u.trayMenu)
		}
	}
	if icon := tray.IconFor(s); icon != u.trayIcon {
		u.trayIcon = icon
		if u.desk != nil {
			u.desk.SetSystemTrayIcon(trayResource(icon))
		}
	}
}

func (u *UI) menuItems(items []tray.Item) []*fyne.MenuItem {
	out := make([]*fyne.MenuItem, 0, len(items))
	for _, it := range items {
		var mi *fyne.MenuItem
		switch it.Action {
		case tray.ActionSeparator:
			mi = fyne.NewMenuItemSeparator()
		case tray.ActionToggle:
			name, on := it.Tunnel, !it.Checked
			mi = fyne.NewMenuItem(it.Label, func() { u.setActive(name, on) })
		case tray.ActionDiagnose:
			name := it.Tunnel
			mi = fyne.NewMenuItem(it.Label, func() { u.Raise(); u.opts.OnDiagnose(name) })
		case tray.ActionOpen:
			mi = fyne.NewMenuItem(it.Label, u.Raise)
		case tray.ActionImport:
			mi = fyne.NewMenuItem(it.Label, func() { u.showWindow(); u.showImportDialog() })
		case tray.ActionQuit:
			mi = fyne.NewMenuItem(it.Label, u.quit)
			mi.IsQuit = true
		default:
			mi = fyne.NewMenuItem(it.Label, nil)
		}
		mi.Checked = it.Checked
		mi.Disabled = it.Disabled
		out = append(out, mi)
	}
	return out
}

func trayResource(i tray.Icon) fyne.Resource {
	return trayIconFor(i, hostOS)
}
