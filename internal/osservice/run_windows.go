package osservice

import (
	"fmt"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"

	"golang.org/x/sys/windows/svc"
)

// IsService reports whether the service control manager started this
// process. svc.IsWindowsService asks for a parent called services.exe in
// session 0; Wine 8 runs its services.exe in session 1, so a parent of
// that name in any session counts too. A process that only claims so
// loses nothing: RunService then fails with
// ERROR_FAILED_SERVICE_CONTROLLER_CONNECT before running anything.
func IsService() (bool, error) {
	if ok, err := svc.IsWindowsService(); ok || err != nil {
		return ok, err
	}
	return parentIsServicesExe()
}

// parentIsServicesExe reports whether this process's parent runs an
// executable called services.exe.
func parentIsServicesExe() (bool, error) {
	var pbi windows.PROCESS_BASIC_INFORMATION
	size := uint32(unsafe.Sizeof(pbi))
	if err := windows.NtQueryInformationProcess(windows.CurrentProcess(), windows.ProcessBasicInformation, unsafe.Pointer(&pbi), size, &size); err != nil {
		return false, fmt.Errorf("query parent process: %w", err)
	}
	parent := uint32(pbi.InheritedFromUniqueProcessId)
	snap, err := windows.CreateToolhelp32Snapshot(windows.TH32CS_SNAPPROCESS, 0)
	if err != nil {
		return false, fmt.Errorf("list processes: %w", err)
	}
	defer windows.CloseHandle(snap)
	pe := windows.ProcessEntry32{Size: uint32(unsafe.Sizeof(windows.ProcessEntry32{}))}
	for err = windows.Process32First(snap, &pe); err == nil; err = windows.Process32Next(snap, &pe) {
		if pe.ProcessID == parent {
			return strings.EqualFold(windows.UTF16ToString(pe.ExeFile[:]), "services.exe"), nil
		}
	}
	return false, nil
}

// ErrNotStartedByManager is RunService's error for a process no service
// manager started: it may run in the foreground instead.
var ErrNotStartedByManager = windows.ERROR_FAILED_SERVICE_CONTROLLER_CONNECT

// RunService hands this process to the service control manager and runs
// run under it (see Serve) until the manager stops it. It returns run's
// exit code, which the manager records as the service-specific exit code.
func RunService(run RunFunc) (int, error) {
	h := &handler{run: run}
	err := svc.Run(Name, h)
	return h.code, err
}

type handler struct {
	run  RunFunc
	code int
}

// Execute translates between svc's channels and Serve's.
func (h *handler) Execute(_ []string, requests <-chan svc.ChangeRequest, changes chan<- svc.Status) (bool, uint32) {
	controls := make(chan Control)
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case r := <-requests:
				var c Control
				switch r.Cmd {
				case svc.Interrogate:
					c = Interrogate
				case svc.Stop:
					c = Stop
				case svc.Shutdown:
					c = Shutdown
				default:
					continue
				}
				select {
				case controls <- c:
				case <-done:
					return
				}
			case <-done:
				return
			}
		}
	}()
	ticker := time.NewTicker(stopTick)
	defer ticker.Stop()
	report := func(s Status) {
		st := svc.Status{WaitHint: uint32(s.WaitHint / time.Millisecond), CheckPoint: s.CheckPoint}
		switch s.State {
		case StartPending:
			st.State = svc.StartPending
		case Running:
			st.State = svc.Running
		case StopPending:
			st.State = svc.StopPending
		default:
			st.State = svc.Stopped
		}
		if s.AcceptStop {
			st.Accepts = svc.AcceptStop | svc.AcceptShutdown
		}
		changes <- st
	}
	h.code = Serve(h.run, controls, report, ticker.C)
	if h.code != 0 {
		return true, uint32(h.code)
	}
	return false, 0
}

// PrepareToRun creates what the service needs whichever installer
// registered it (`wgdesk service install`, or an MSI's ServiceInstall
// table, which knows neither): the local group its pipe admits and its
// event log source. The service runs as LocalSystem, which may create
// both. It reports what it created, so the service can log it once its
// log is open.
func PrepareToRun(progress func(string)) error {
	s := winSCM{}
	p := NewPlan("")
	created, err := s.AddLocalGroup(p.Group, p.GroupComment)
	if err != nil {
		return fmt.Errorf("create local group %s: %w", p.Group, err)
	}
	if created {
		progress(fmt.Sprintf("created the local group %s", p.Group))
	}
	created, err = s.AddEventSource(p.EventSource)
	if err != nil {
		return fmt.Errorf("register event log source %s: %w", p.EventSource, err)
	}
	if created {
		progress(fmt.Sprintf("registered the event log source %s", p.EventSource))
	}
	return nil
}
