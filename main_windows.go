package main

import (
	"log"
	"os"

	"golang.org/x/sys/windows"
)

// attachParentProcess is ATTACH_PARENT_PROCESS, (DWORD)-1.
const attachParentProcess = ^uint32(0)

// procAttachConsole is kernel32's AttachConsole, which x/sys/windows does
// not wrap.
var procAttachConsole = windows.NewLazySystemDLL("kernel32.dll").NewProc("AttachConsole")

// stdStreams are the standard handles in the order of consolePlan.rebind.
var stdStreams = [3]struct {
	handle  uint32
	console string // the console device the stream is bound to
	name    string
}{
	{windows.STD_INPUT_HANDLE, "CONIN$", "/dev/stdin"},
	{windows.STD_OUTPUT_HANDLE, "CONOUT$", "/dev/stdout"},
	{windows.STD_ERROR_HANDLE, "CONOUT$", "/dev/stderr"},
}

// attachConsole makes a command typed in cmd.exe or PowerShell print to
// that console although the exe is a GUI-subsystem program (see
// consolePlan). Without a parent console (a shortcut, the service
// manager) it leaves the streams as they are: there is nowhere to print.
func attachConsole(args []string) {
	var valid [3]bool
	for i, s := range stdStreams {
		valid[i] = validHandle(s.handle)
	}
	plan := planConsole(args, valid)
	if !plan.attach {
		return
	}
	if r, _, _ := procAttachConsole.Call(uintptr(attachParentProcess)); r == 0 {
		return
	}
	for i, s := range stdStreams {
		if !plan.rebind[i] {
			continue
		}
		name, _ := windows.UTF16PtrFromString(s.console)
		h, err := windows.CreateFile(name, windows.GENERIC_READ|windows.GENERIC_WRITE,
			windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE, nil, windows.OPEN_EXISTING, 0, 0)
		if err != nil {
			continue
		}
		// Child processes and C code read the process's standard
		// handles; Go code reads os.Stdin, os.Stdout and os.Stderr.
		windows.SetStdHandle(s.handle, h)
		f := os.NewFile(uintptr(h), s.name)
		switch s.handle {
		case windows.STD_INPUT_HANDLE:
			os.Stdin = f
		case windows.STD_OUTPUT_HANDLE:
			os.Stdout = f
		case windows.STD_ERROR_HANDLE:
			os.Stderr = f
			log.SetOutput(f) // the log package took os.Stderr at start
		}
	}
}

// validHandle reports whether the standard handle which was inherited
// usable: a console, a file or a pipe.
func validHandle(which uint32) bool {
	h, err := windows.GetStdHandle(which)
	if err != nil || h == 0 || h == windows.InvalidHandle {
		return false
	}
	t, err := windows.GetFileType(h)
	return err == nil && t != windows.FILE_TYPE_UNKNOWN
}
