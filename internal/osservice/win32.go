package osservice

import (
	"fmt"
	"strings"
	"time"
)

// win32Service is a Plan in the numbers the Windows service manager takes
// (winsvc.h), kept portable so the mapping is tested on any OS;
// scm_windows.go copies it into x/sys's mgr.Config field by field, and
// win32_windows_test.go checks the numbers against x/sys/windows.
type win32Service struct {
	ServiceType  uint32 // SERVICE_WIN32_OWN_PROCESS
	StartType    uint32 // SERVICE_AUTO_START or SERVICE_DEMAND_START
	ErrorControl uint32 // SERVICE_ERROR_NORMAL
	SidType      uint32 // SERVICE_SID_TYPE_*
	DisplayName  string
	Description  string
	Dependencies []string
	// Actions are SC_ACTION_RESTART delays; ResetSeconds is
	// SERVICE_FAILURE_ACTIONS' dwResetPeriod; FailureActionsFlag is
	// SERVICE_FAILURE_ACTIONS_FLAG's fFailureActionsOnNonCrashFailures.
	Actions            []time.Duration
	ResetSeconds       uint32
	FailureActionsFlag bool
}

const (
	win32OwnProcess      = 0x10
	win32AutoStart       = 2
	win32DemandStart     = 3
	win32ErrorNormal     = 1
	win32SIDNone         = 0
	win32SIDUnrestricted = 1
)

func win32Config(p Plan) win32Service {
	c := win32Service{
		ServiceType:        win32OwnProcess,
		StartType:          win32DemandStart,
		ErrorControl:       win32ErrorNormal,
		SidType:            win32SIDNone,
		DisplayName:        p.DisplayName,
		Description:        p.Description,
		Dependencies:       p.Dependencies,
		Actions:            p.Restarts,
		ResetSeconds:       uint32(p.RestartsReset / time.Second),
		FailureActionsFlag: p.RestartOnError,
	}
	if p.AutoStart {
		c.StartType = win32AutoStart
	}
	if p.SIDType == SIDUnrestricted {
		c.SidType = win32SIDUnrestricted
	}
	return c
}

// String renders c one field a line, for the golden test.
func (c win32Service) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "dwServiceType:   0x%x\n", c.ServiceType)
	fmt.Fprintf(&b, "dwStartType:     %d\n", c.StartType)
	fmt.Fprintf(&b, "dwErrorControl:  %d\n", c.ErrorControl)
	fmt.Fprintf(&b, "lpDisplayName:   %s\n", c.DisplayName)
	fmt.Fprintf(&b, "lpDependencies:  %s\n", strings.Join(c.Dependencies, `\0`))
	fmt.Fprintf(&b, "description:     %s\n", c.Description)
	fmt.Fprintf(&b, "sid type:        %d\n", c.SidType)
	for _, d := range c.Actions {
		fmt.Fprintf(&b, "failure action:  SC_ACTION_RESTART after %d ms\n", d.Milliseconds())
	}
	fmt.Fprintf(&b, "reset period:    %d s\n", c.ResetSeconds)
	fmt.Fprintf(&b, "on error exits:  %v\n", c.FailureActionsFlag)
	return b.String()
}
