package cli

import (
	"io"
	"log"
	"strings"
	"time"
)

// errorWriter is a log destination that keeps errors apart from other
// lines: the Windows event log shows them with the Error level. It must be
// safe for concurrent use: the two sides are written by two loggers.
type errorWriter interface {
	io.Writer
	// WriteError writes one error line.
	WriteError(p []byte) (int, error)
}

// errorLogger is the logger for the service's error lines: one writing to
// w's error side when w has one, else l, which writes to w.
func errorLogger(w io.Writer, l *log.Logger) *log.Logger {
	ew, ok := w.(errorWriter)
	if !ok {
		return l
	}
	return log.New(errorSide{ew}, l.Prefix(), l.Flags())
}

type errorSide struct{ w errorWriter }

func (e errorSide) Write(p []byte) (int, error) { return e.w.WriteError(p) }

// eventText is a log line as the event log shows it: without the date and
// time log.LstdFlags puts first (every event has its own) and without the
// line break.
func eventText(p []byte) string {
	s := strings.TrimRight(string(p), "\r\n")
	const stamp = "2006/01/02 15:04:05 "
	if len(s) >= len(stamp) {
		if _, err := time.Parse(stamp, s[:len(stamp)]); err == nil {
			return s[len(stamp):]
		}
	}
	return s
}
