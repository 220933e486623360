package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"golang.org/x/sys/windows/svc/eventlog"

	"github.com/wgdesk/wgdesk/internal/osservice"
)

// runAsOSService runs the service under the service control manager when
// the manager started this process (`wgdesk service` as the registered
// service's command), logging to the Windows event log. ok is false when
// a person started it: it then runs in their terminal.
func runAsOSService(o serviceOptions, stderr io.Writer) (code int, ok bool) {
	isService, err := osservice.IsService()
	if err != nil || !isService {
		return 0, false
	}
	// Before the log opens (it needs the event source) and the pipe is
	// made (it admits the group only if it exists).
	var prepared []string
	prepErr := osservice.PrepareToRun(func(s string) { prepared = append(prepared, s) })
	var w io.Writer = io.Discard // a service has no console
	if elog, err := eventlog.Open(osservice.Name); err == nil {
		defer elog.Close()
		w = eventLog{elog}
	}
	for _, s := range prepared {
		fmt.Fprintf(w, "service: %s\n", s)
	}
	if ew, ok := w.(errorWriter); ok && prepErr != nil {
		ew.WriteError([]byte("service: " + prepErr.Error() + "\n"))
	}
	code, err = osservice.RunService(func(ctx context.Context, ready func()) int {
		return runService(ctx, o, w, ready)
	})
	if errors.Is(err, osservice.ErrNotStartedByManager) {
		return 0, false // no service manager waits on this process after all
	}
	if err != nil {
		fmt.Fprintf(w, "service: run under the service control manager: %v\n", err)
		return exitFail, true
	}
	return code, true
}

// eventLog writes log lines to the Windows event log, errors with the
// Error level. The service never logs keys, so neither does this.
type eventLog struct{ l *eventlog.Log }

// eventID is the one event ID wgdesk logs with; EventCreate.exe, the
// source's message file, takes IDs 1 to 1000.
const eventID = 1

func (e eventLog) Write(p []byte) (int, error) {
	return len(p), e.l.Info(eventID, eventText(p))
}

func (e eventLog) WriteError(p []byte) (int, error) {
	return len(p), e.l.Error(eventID, eventText(p))
}
