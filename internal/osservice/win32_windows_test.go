package osservice

import (
	"testing"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc/mgr"
)

// The portable numbers are Windows' own.
func TestWin32Numbers(t *testing.T) {
	for _, c := range []struct {
		name      string
		ours, sys uint32
	}{
		{"SERVICE_WIN32_OWN_PROCESS", win32OwnProcess, windows.SERVICE_WIN32_OWN_PROCESS},
		{"SERVICE_AUTO_START", win32AutoStart, mgr.StartAutomatic},
		{"SERVICE_DEMAND_START", win32DemandStart, mgr.StartManual},
		{"SERVICE_ERROR_NORMAL", win32ErrorNormal, mgr.ErrorNormal},
		{"SERVICE_SID_TYPE_NONE", win32SIDNone, windows.SERVICE_SID_TYPE_NONE},
		{"SERVICE_SID_TYPE_UNRESTRICTED", win32SIDUnrestricted, windows.SERVICE_SID_TYPE_UNRESTRICTED},
	} {
		if c.ours != c.sys {
			t.Errorf("%s: ours %d, Windows %d", c.name, c.ours, c.sys)
		}
	}
}
