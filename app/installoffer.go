//go:build cgo

package app

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"

	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/wgdesk/wgdesk/internal/hints"
	"github.com/wgdesk/wgdesk/internal/osservice"
	"github.com/wgdesk/wgdesk/tunnel/api"
)

// osHints are the texts the app shows about the service; tests show
// another OS's.
var osHints = hints.Current

// ServiceInstaller installs the tunnel service from the app. The app
// offers it in the banner that says the service is not running.
type ServiceInstaller interface {
	// Offer reports whether to offer installing: this OS has a service
	// manager wgdesk registers with, this process may install, and the
	// service is not installed. It may ask the system; the app calls it on
	// the UI goroutine while the service is down, so it must be quick.
	Offer() bool
	// Install installs and starts the service, reporting each step taken
	// as a sentence. It may take half a minute; the app calls it on a
	// goroutine of its own.
	Install(progress func(step string)) error
}

// osInstaller is the ServiceInstaller of this OS's service manager.
type osInstaller struct{ m osservice.Manager }

// defaultInstaller is the installer on Windows, where the app run as an
// administrator installs the service itself, and on macOS, where it asks
// for an administrator's password (promptInstaller, installoffer_darwin.go).
// Elsewhere it is nil and the app never offers to install: on Linux the
// app run as root runs the service itself.
func defaultInstaller() ServiceInstaller {
	if in := promptInstaller(); in != nil {
		return in
	}
	if runtime.GOOS != "windows" {
		return nil
	}
	m, err := osservice.New()
	if err != nil {
		return nil
	}
	return osInstaller{m}
}

func (o osInstaller) Offer() bool {
	if !osservice.Elevated() {
		return false
	}
	state, err := o.m.Status()
	return err == nil && state == osservice.NotInstalled
}

func (o osInstaller) Install(progress func(string)) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find this program's path: %w", err)
	}
	return o.m.Install(osservice.NewPlan(exe), progress)
}

// installLabel is the banner button's text.
const installLabel = "Install the service"

// newInstallButton is the banner's button that installs the service,
// hidden until renderInstallOffer shows it.
func (u *UI) newInstallButton() *widget.Button {
	b := widget.NewButtonWithIcon(installLabel, theme.DownloadIcon(), u.installService)
	b.Importance = widget.HighImportance
	b.Hide()
	return b
}

// renderInstallOffer shows the install button while the service is not
// running and the installer offers it, and keeps it, disabled, while an
// install runs.
func (u *UI) renderInstallOffer() {
	show := u.installing || (u.opts.Installer != nil && errors.Is(u.connErr, api.ErrServiceDown) && u.opts.Installer.Offer())
	if show {
		u.installBtn.Show()
	} else {
		u.installBtn.Hide()
	}
}

// installService runs the installer off the UI goroutine, then shows what
// it did, or why it failed, and tries to reach the new service at once.
func (u *UI) installService() {
	if u.installing || u.opts.Installer == nil {
		return
	}
	u.installing = true
	u.installBtn.SetText("Installing…")
	u.installBtn.Disable()
	inst := u.opts.Installer
	go func() {
		var steps []string
		err := inst.Install(func(s string) { steps = append(steps, s) })
		u.opts.Do(func() {
			u.installing = false
			u.installBtn.SetText(installLabel)
			u.installBtn.Enable()
			if err != nil {
				u.opts.Logf("install the service: %v", err)
				u.showText("Could not install the service", installReport(steps, err))
			} else {
				u.showText("The wgdesk service is installed", installReport(steps, nil))
				u.retryNow()
			}
			u.render()
		})
	}()
}

// installReport is what the dialog after an install says: the steps taken,
// then the error, or how to let other users drive the service.
func installReport(steps []string, err error) string {
	text := strings.Join(steps, "\n")
	if text != "" {
		text += "\n\n"
	}
	if err != nil {
		return text + humanText(err)
	}
	h := osHints()
	return text + "To let another user bring tunnels up and down, an administrator adds them to the group wgdesk with\n" +
		"    " + h.AddUser + "\n" +
		"(with their user name), then they " + h.Relogin + "."
}
