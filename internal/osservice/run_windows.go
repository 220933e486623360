package osservice

import (
	"time"

	"golang.org/x/sys/windows/svc"
)

// IsService reports whether the service control manager started this
// process.
func IsService() (bool, error) { return svc.IsWindowsService() }

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
