package cli

import (
	"io"
	"log"
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
