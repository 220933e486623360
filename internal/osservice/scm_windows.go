package osservice

import (
	"errors"
	"fmt"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/eventlog"
	"golang.org/x/sys/windows/svc/mgr"
)

// New returns the Manager of the Windows service control manager.
func New() (Manager, error) {
	return scmManager{s: winSCM{}, name: Name, trusted: trustedDirs(os.Getenv)}, nil
}

// Elevated reports whether this process may install the service: an
// elevated administrator or LocalSystem.
func Elevated() bool {
	tok := windows.GetCurrentProcessToken()
	if tok.IsElevated() {
		return true
	}
	u, err := tok.GetTokenUser()
	return err == nil && u.User.Sid.IsWellKnown(windows.WinLocalSystemSid)
}

// winSCM is the scm seam on Windows.
type winSCM struct{}

var (
	netapi32             = windows.NewLazySystemDLL("netapi32.dll")
	procNetLocalGroupAdd = netapi32.NewProc("NetLocalGroupAdd")
)

// localGroupInfo1 is LOCALGROUP_INFO_1 (lmaccess.h).
type localGroupInfo1 struct {
	name    *uint16
	comment *uint16
}

// NetLocalGroupAdd's answers for a group that exists: NERR_GroupExists
// (lmerr.h) and ERROR_ALIAS_EXISTS (a local group is an alias to SAM).
const (
	nerrGroupExists  = 2223
	errorAliasExists = 1379
)

func (winSCM) AddLocalGroup(name, comment string) (bool, error) {
	if err := procNetLocalGroupAdd.Find(); err != nil {
		return false, err
	}
	n, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return false, err
	}
	c, err := windows.UTF16PtrFromString(comment)
	if err != nil {
		return false, err
	}
	info := localGroupInfo1{name: n, comment: c}
	var parmErr uint32
	// NET_API_STATUS NetLocalGroupAdd(LPCWSTR servername, DWORD level,
	// LPBYTE buf, LPDWORD parm_err); a nil server is this machine.
	r, _, _ := procNetLocalGroupAdd.Call(0, 1, uintptr(unsafe.Pointer(&info)), uintptr(unsafe.Pointer(&parmErr)))
	switch r {
	case 0:
		return true, nil
	case nerrGroupExists, errorAliasExists:
		return false, nil
	}
	return false, fmt.Errorf("NetLocalGroupAdd: %w", windows.Errno(r))
}

// eventSourceKey is where eventlog.Install registers Application sources.
const eventSourceKey = `SYSTEM\CurrentControlSet\Services\EventLog\Application\`

func (winSCM) AddEventSource(name string) (bool, error) {
	if k, err := registry.OpenKey(registry.LOCAL_MACHINE, eventSourceKey+name, registry.QUERY_VALUE); err == nil {
		k.Close()
		return false, nil
	}
	err := eventlog.InstallAsEventCreate(name, eventlog.Error|eventlog.Warning|eventlog.Info)
	return err == nil, err
}

func (winSCM) RemoveEventSource(name string) error {
	err := eventlog.Remove(name)
	if errors.Is(err, windows.ERROR_FILE_NOT_FOUND) {
		return nil
	}
	return err
}

// withService runs f on the named service.
func withService(name string, f func(*mgr.Service) error) error {
	m, err := mgr.Connect()
	if err != nil {
		return err
	}
	defer m.Disconnect()
	s, err := m.OpenService(name)
	if err != nil {
		return err
	}
	defer s.Close()
	return f(s)
}

func (winSCM) Query(name string) (State, error) {
	var st svc.Status
	err := withService(name, func(s *mgr.Service) (err error) {
		st, err = s.Query()
		return err
	})
	if errors.Is(err, windows.ERROR_SERVICE_DOES_NOT_EXIST) {
		return NotInstalled, nil
	}
	if err != nil {
		return Other, err
	}
	switch st.State {
	case svc.Stopped:
		return Stopped, nil
	case svc.StartPending:
		return StartPending, nil
	case svc.Running:
		return Running, nil
	case svc.StopPending:
		return StopPending, nil
	}
	return Other, nil
}

// config is p as mgr takes it.
func config(p Plan) mgr.Config {
	w := win32Config(p)
	return mgr.Config{
		ServiceType:  w.ServiceType,
		StartType:    w.StartType,
		ErrorControl: w.ErrorControl,
		DisplayName:  w.DisplayName,
		Description:  w.Description,
		Dependencies: w.Dependencies,
		SidType:      w.SidType,
	}
}

// setRecovery sets p's restart actions on s.
func setRecovery(s *mgr.Service, p Plan) error {
	w := win32Config(p)
	var actions []mgr.RecoveryAction
	for _, d := range w.Actions {
		actions = append(actions, mgr.RecoveryAction{Type: mgr.ServiceRestart, Delay: d})
	}
	if err := s.SetRecoveryActions(actions, w.ResetSeconds); err != nil {
		return fmt.Errorf("set recovery actions: %w", err)
	}
	// Off is the service manager's default, and the plan never turns it
	// off again, so it is only ever set on (Wine 8 cannot set it at all).
	if w.FailureActionsFlag {
		if err := s.SetRecoveryActionsOnNonCrashFailures(true); err != nil {
			return fmt.Errorf("set recovery on error exits: %w", err)
		}
	}
	return nil
}

func (winSCM) Create(p Plan) error {
	m, err := mgr.Connect()
	if err != nil {
		return err
	}
	defer m.Disconnect()
	s, err := m.CreateService(p.Name, p.Exe, config(p), p.Args...)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := setRecovery(s, p); err != nil {
		s.Delete() // a service without restarts is not what was asked for
		return err
	}
	return nil
}

// Update sets p's settings with ChangeServiceConfig and, for what that
// does not cover, ChangeServiceConfig2. Unlike mgr's UpdateConfig it
// leaves the delayed-start flag alone and sets the SID type only when p
// has one: wgdesk never sets either off, and Wine 8 cannot set them.
func (winSCM) Update(p Plan) error {
	return withService(p.Name, func(s *mgr.Service) error {
		w := win32Config(p)
		cmd, err := windows.UTF16PtrFromString(windows.ComposeCommandLine(append([]string{p.Exe}, p.Args...)))
		if err != nil {
			return err
		}
		display, err := windows.UTF16PtrFromString(w.DisplayName)
		if err != nil {
			return err
		}
		deps, err := multiString(w.Dependencies)
		if err != nil {
			return err
		}
		err = windows.ChangeServiceConfig(s.Handle, w.ServiceType, w.StartType, w.ErrorControl,
			cmd, nil, nil, deps, nil, nil, display)
		if err != nil {
			return fmt.Errorf("ChangeServiceConfig: %w", err)
		}
		desc, err := windows.UTF16PtrFromString(w.Description)
		if err != nil {
			return err
		}
		d := windows.SERVICE_DESCRIPTION{Description: desc}
		if err := windows.ChangeServiceConfig2(s.Handle, windows.SERVICE_CONFIG_DESCRIPTION, (*byte)(unsafe.Pointer(&d))); err != nil {
			return fmt.Errorf("set description: %w", err)
		}
		if w.SidType != win32SIDNone {
			sid := w.SidType
			if err := windows.ChangeServiceConfig2(s.Handle, windows.SERVICE_CONFIG_SERVICE_SID_INFO, (*byte)(unsafe.Pointer(&sid))); err != nil {
				return fmt.Errorf("set service sid type: %w", err)
			}
		}
		return setRecovery(s, p)
	})
}

// multiString is ss as a REG_MULTI_SZ-style block: each string ended by a
// NUL, the block by another (lpDependencies).
func multiString(ss []string) (*uint16, error) {
	var b []uint16
	for _, s := range ss {
		u, err := windows.UTF16FromString(s)
		if err != nil {
			return nil, err
		}
		b = append(b, u...)
	}
	b = append(b, 0)
	return &b[0], nil
}

func (winSCM) Start(name string) error {
	return withService(name, func(s *mgr.Service) error { return s.Start() })
}

func (winSCM) Stop(name string) error {
	return withService(name, func(s *mgr.Service) error {
		_, err := s.Control(svc.Stop)
		return err
	})
}

func (winSCM) Delete(name string) error {
	return withService(name, func(s *mgr.Service) error { return s.Delete() })
}

func (winSCM) Sleep(d time.Duration) { time.Sleep(d) }
