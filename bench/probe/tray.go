package main

// probe tray is a stand-in system tray for the desktop app's figures with
// the window hidden (bench/README.md): on Linux an app finds the tray as
// org.kde.StatusNotifierWatcher on the session bus, and without one
// wgdesk --hidden shows its window, since nothing would be left to click.
// It starts a private session bus (dbus-daemon, its socket in DIR), owns
// that name on it and prints one line per thing it sees, so that the bench
// can wait for them:
//
//	bus ADDRESS                   the bus: the app's DBUS_SESSION_BUS_ADDRESS
//	watching                      the name is ours
//	item SENDER PATH              an app registered its tray icon
//	signal SENDER MEMBER          an item changed (NewIcon, NewStatus, …)
//
// It draws nothing and asks the items for nothing, so it costs the app
// under measurement no work beyond registering and its own signals.

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/godbus/dbus/v5"
)

const (
	watcherName  = "org.kde.StatusNotifierWatcher"
	watcherPath  = dbus.ObjectPath("/StatusNotifierWatcher")
	itemIface    = "org.kde.StatusNotifierItem"
	trayUsageMsg = "usage: probe tray DIR (a private session bus in DIR; stops on SIGTERM)"
)

// busConfig is a session bus that only listens on a socket in the given
// directory, with the policy of Debian's session.conf and no service
// activation, so nothing the app asks for starts a daemon.
const busConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`

// startBus starts dbus-daemon with busConfig on DIR/bus and returns its
// address and a function that stops it.
func startBus(dir string) (addr string, stop func(), err error) {
	daemon, err := exec.LookPath("dbus-daemon")
	if err != nil {
		return "", nil, fmt.Errorf("dbus-daemon is not installed (Debian: dbus-daemon): %w", err)
	}
	dir, err = filepath.Abs(dir) // the address must not depend on the app's working directory
	if err != nil {
		return "", nil, err
	}
	conf := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(busConfig, filepath.Join(dir, "bus"))), 0o600); err != nil {
		return "", nil, fmt.Errorf("write the bus config: %w", err)
	}
	cmd := exec.Command(daemon, "--config-file="+conf, "--nofork", "--print-address=1")
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = busProcAttr()
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("start dbus-daemon: %w", err)
	}
	stop = func() {
		cmd.Process.Kill()
		cmd.Wait()
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		stop()
		return "", nil, fmt.Errorf("dbus-daemon printed no address: %w", err)
	}
	return strings.TrimSpace(line), stop, nil
}

// trayMain runs the stand-in tray until SIGTERM or SIGINT.
func trayMain(args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, trayUsageMsg)
		return 2
	}
	addr, stopBus, err := startBus(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "probe tray:", err)
		return 1
	}
	defer stopBus()
	fmt.Printf("bus %s\n", addr)
	conn, err := dbus.Connect(addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "probe tray:", err)
		return 1
	}
	defer conn.Close()
	stop, err := serveTray(conn, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "probe tray:", err)
		return 1
	}
	defer stop()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, os.Interrupt)
	<-sigs
	return 0
}

// watcher is the org.kde.StatusNotifierWatcher object; its exported
// methods are the interface's.
type watcher struct {
	mu  sync.Mutex
	out io.Writer
}

func (w *watcher) say(format string, args ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	fmt.Fprintf(w.out, format+"\n", args...)
}

// RegisterStatusNotifierItem is called by an app for its icon: item is
// the object path of the icon (fyne's systray) or a bus name.
func (w *watcher) RegisterStatusNotifierItem(sender dbus.Sender, item string) *dbus.Error {
	w.say("item %s %s", sender, item)
	return nil
}

// RegisterStatusNotifierHost is called by the tray hosts that draw the
// icons; this stand-in is the only one.
func (w *watcher) RegisterStatusNotifierHost(dbus.Sender, string) *dbus.Error { return nil }

// serveTray exports the watcher on conn, takes its name and reports on out
// as trayMain says. stop ends the reports of signals.
func serveTray(conn *dbus.Conn, out io.Writer) (stop func(), err error) {
	w := &watcher{out: out}
	if err := conn.Export(w, watcherPath, watcherName); err != nil {
		return nil, fmt.Errorf("export the watcher: %w", err)
	}
	if err := conn.AddMatchSignal(dbus.WithMatchInterface(itemIface)); err != nil {
		return nil, fmt.Errorf("watch the items' signals: %w", err)
	}
	sigs := make(chan *dbus.Signal, 16)
	conn.Signal(sigs)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for s := range sigs {
			// The bus sends us NameAcquired and the like as well.
			if member, ok := strings.CutPrefix(s.Name, itemIface+"."); ok {
				w.say("signal %s %s", s.Sender, member)
			}
		}
	}()
	reply, err := conn.RequestName(watcherName, dbus.NameFlagDoNotQueue)
	if err != nil {
		return nil, fmt.Errorf("request %s: %w", watcherName, err)
	}
	if reply != dbus.RequestNameReplyPrimaryOwner {
		return nil, fmt.Errorf("%s is taken: another tray runs on this bus", watcherName)
	}
	w.say("watching")
	return func() {
		conn.RemoveSignal(sigs)
		close(sigs)
		<-done
	}, nil
}
