//go:build cgo

package app

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"github.com/wgdesk/wgdesk/assets"
	"github.com/wgdesk/wgdesk/internal/loginstart"
	"github.com/wgdesk/wgdesk/tunnel/api"
)

// AppID is the desktop app's identifier (as in FyneApp.toml).
const AppID = "io.github.wgdesk.wgdesk"

// Main runs the desktop app until it quits and returns the exit code.
// args are the command line after the program name: [--socket PATH]
// [--hidden].
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wgdesk", flag.ContinueOnError)
	fs.SetOutput(stderr)
	socket := fs.String("socket", api.DefaultSocket, "the service's socket `path`")
	hidden := fs.Bool(loginstart.HiddenFlag[2:], false, "start in the tray without a window, as a start at login does (shown when there is no tray)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "wgdesk: unexpected argument %q; see wgdesk help\n", fs.Arg(0))
		return 2
	}
	if runtime.GOOS == "linux" && os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		fmt.Fprintln(stderr, "wgdesk: no display (DISPLAY and WAYLAND_DISPLAY are unset); use the command line, see wgdesk help")
		return 1
	}
	logger := log.New(stderr, "wgdesk app: ", log.LstdFlags)

	// One window per user: a second launch shows the first one's window.
	// If that cannot be arranged, this launch runs on its own.
	shows := make(chan struct{}, 1)
	var inst *instance
	path, err := instanceSocket()
	if err == nil {
		inst, err = claimInstance(path, func() {
			select {
			case shows <- struct{}{}:
			default: // one is pending already
			}
		})
	}
	switch {
	case errors.Is(err, errAlreadyRunning):
		fmt.Fprintln(stdout, "wgdesk is already running; showed its window.")
		return 0
	case err != nil:
		logger.Printf("not checking for another running instance: %v", err)
	default:
		defer inst.Close()
	}

	hasTray, why := trayAvailable()
	noBusAutolaunch(os.Getenv, os.Setenv, fileExists) // before the toolkit looks for a bus
	a := fyneapp.NewWithID(AppID)
	a.SetIcon(fyne.NewStaticResource("wgdesk.png", assets.AppIcon))
	client := api.Dial(*socket)
	defer client.Close()

	if !hasTray {
		logger.Printf("no system tray (%s); closing the window quits", why)
	}
	u, err := newUI(a, client, Options{
		Socket:  *socket,
		Logf:    logger.Printf,
		Refresh: time.Second,
		Tray:    hasTray,
		// Offered where the app can install the service: Windows (the app
		// runs elevated) and macOS (through the administrator prompt).
		Installer: defaultInstaller(),
		Login:     loginstart.Default(),
	})
	if err != nil {
		fmt.Fprintf(stderr, "wgdesk: %v\n", err)
		return 1
	}
	// The tray's Diagnose entry opens the doctor's window.
	u.opts.OnDiagnose = u.showDoctor
	u.Start()
	raised := make(chan struct{})
	defer close(raised)
	go func() {
		for {
			select {
			case <-shows:
				fyne.Do(u.Raise)
			case <-raised:
				return
			}
		}
	}()
	// The session ends its apps with SIGTERM (logout, shutdown): quit as
	// Ctrl+Q does, so that the window's size is saved, the single-instance
	// socket removed and, when this process runs the service too, its
	// tunnels taken down in order.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, os.Interrupt)
	defer signal.Stop(sigs)
	go func() {
		select {
		case sig := <-sigs:
			logger.Printf("%v: quitting", sig)
			fyne.Do(u.quit)
		case <-raised:
		}
	}()
	if !u.ShowAtLaunch(*hidden) {
		u.startInTray()
		logger.Printf("started hidden in the tray")
	}
	a.Run()
	// The event loop is gone, so a goroutine handing a last update to
	// fyne.Do may never return: wait for the background work, but not long.
	stopped := make(chan struct{})
	go func() {
		u.Stop()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-time.After(2 * time.Second):
		logger.Printf("background work did not stop within 2s; exiting anyway")
	}
	return 0
}

// newUI is New for Main: the toolkit opens the display when the first
// window is made and panics when it cannot (no X server, a display that
// refuses connections); that panic becomes an error that names the
// display. Any other panic is a bug and goes on with its trace.
func newUI(a fyne.App, c Client, opts Options) (u *UI, err error) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if !strings.Contains(fmt.Sprint(r), "GLFW") {
			panic(r)
		}
		err = fmt.Errorf("cannot open the display %q: %v", os.Getenv("DISPLAY"), r)
	}()
	return New(a, c, opts), nil
}
