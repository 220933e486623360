//go:build cgo

package app

import (
	"errors"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/tunnel/api"
)

// humanText is err as sentences for a dialog, a summary or a form: errors
// in code are lowercase fragments wrapped with context ("line 8: invalid
// AllowedIPs entry: write networks such as ..."), the window shows
// "Line 8: invalid AllowedIPs entry. Write networks such as ...". The
// errors a user meets most get a sentence of their own.
func humanText(err error) string {
	var pe *config.ParseError
	switch {
	case errors.Is(err, api.ErrServiceDown):
		return "The wgdesk service is not running."
	case errors.Is(err, config.ErrNotConfig):
		return "This is not a WireGuard config. A config is text with an [Interface] section, " +
			"as RouterOS prints it with show-client-config."
	case errors.Is(err, config.ErrNoQR):
		return "No QR code was found in the image. Crop closer to the code or take a sharper picture."
	case errors.Is(err, config.ErrQRNotWireGuard):
		return "The QR code holds no WireGuard config. Use the code RouterOS shows with show-client-config."
	case errors.As(err, &pe):
		return parseErrorText(pe)
	}
	return sentence(err.Error())
}

// parseErrorText is a parse error as "Line N: what is wrong. How to fix."
func parseErrorText(pe *config.ParseError) string {
	s := sentence(pe.Msg)
	if pe.Line > 0 {
		s = "Line " + strconv.Itoa(pe.Line) + ": " + strings.TrimSuffix(pe.Msg, ".") + "."
	}
	if pe.Hint != "" {
		s += " " + sentence(pe.Hint)
	}
	return s
}

// sentence starts s with a capital letter and ends it with a full stop,
// unless it ends with other punctuation already.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	s = string(unicode.ToUpper(r)) + s[n:]
	if last, _ := utf8.DecodeLastRuneInString(s); !strings.ContainsRune(".!?…", last) {
		s += "."
	}
	return s
}
