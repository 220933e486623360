// Package manpage turns a program's own help text into a roff manual page,
// so that the installed man pages say what the binary says and cannot
// drift from it.
//
// The help text is read in the shape Go programs print it: a "Usage:"
// synopsis (its continuation lines indented), free paragraphs, sections
// headed by an unindented line ending in a colon ("Commands:"), and items
// indented by two spaces whose term and description are separated by two
// or more spaces or continue on deeper-indented lines, as flag.PrintDefaults
// writes them.
package manpage

import (
	"fmt"
	"regexp"
	"strings"
)

// Page is one manual page.
type Page struct {
	Name    string    // the command, "wgdesk"
	Section int       // 1 for user commands, 8 for system administration
	Manual  string    // the manual's title, "User Commands"
	Source  string    // the program and version, "wgdesk 0.1.0"
	Summary string    // the NAME line after the dash
	Intro   []string  // paragraphs of DESCRIPTION before the help's own
	Help    string    // the program's help text
	Extra   []Section // sections after the help's, such as FILES
}

// Section is a titled part of a page: paragraphs, items, and paragraphs
// that came after the items.
type Section struct {
	Title string
	Text  []string
	Items []Item
	Notes []string
}

// Item is a term (a command with its arguments, a flag) and what it does.
type Item struct {
	Term string
	Desc string
}

// Parse reads help text into its synopsis lines and sections. The text
// before the first headed section, other than the synopsis, is the
// DESCRIPTION; items there (flag.PrintDefaults output) go to OPTIONS.
func Parse(help string) (synopsis []string, sections []Section) {
	desc := Section{Title: "DESCRIPTION"}
	opts := Section{Title: "OPTIONS"}
	var headed []Section
	cur := func() *Section {
		if len(headed) > 0 {
			return &headed[len(headed)-1]
		}
		return nil
	}
	inUsage := false
	var para []string
	flush := func() {
		if len(para) == 0 {
			return
		}
		text := strings.Join(para, " ")
		if s := cur(); s != nil && len(s.Items) > 0 {
			s.Notes = append(s.Notes, text)
		} else if s != nil {
			s.Text = append(s.Text, text)
		} else {
			desc.Text = append(desc.Text, text)
		}
		para = nil
	}
	for _, line := range strings.Split(strings.ReplaceAll(help, "\r\n", "\n"), "\n") {
		trimmed := strings.TrimSpace(line)
		indent := len(line) - len(strings.TrimLeft(line, " \t"))
		switch {
		case trimmed == "":
			flush()
			inUsage = false
		case strings.HasPrefix(line, "Usage:"):
			flush()
			synopsis = append(synopsis, strings.TrimSpace(strings.TrimPrefix(line, "Usage:")))
			inUsage = true
		case inUsage && indent >= 4 && !strings.HasPrefix(trimmed, "-"):
			synopsis = append(synopsis, trimmed)
		case indent == 0 && strings.HasSuffix(trimmed, ":") && !strings.Contains(trimmed, " "):
			flush()
			inUsage = false
			headed = append(headed, Section{Title: strings.ToUpper(strings.TrimSuffix(trimmed, ":"))})
		case indent == 0:
			inUsage = false
			para = append(para, trimmed)
		default:
			inUsage = false
			flush()
			items := &opts.Items
			if s := cur(); s != nil {
				items = &s.Items
			}
			// Deeper than an item's own two spaces, or a tab: the
			// description of the item above continues.
			if (indent > 2 || strings.HasPrefix(line, "\t") || strings.Contains(line[:indent], "\t")) && len(*items) > 0 {
				last := &(*items)[len(*items)-1]
				last.Desc = strings.TrimSpace(last.Desc + " " + trimmed)
				continue
			}
			term, desc, _ := strings.Cut(trimmed, "  ")
			*items = append(*items, Item{Term: strings.TrimSpace(term), Desc: strings.TrimSpace(desc)})
		}
	}
	flush()
	if len(desc.Text) > 0 {
		sections = append(sections, desc)
	}
	if len(opts.Items) > 0 {
		sections = append(sections, opts)
	}
	return synopsis, append(sections, headed...)
}

// Render writes the page as roff for man(1).
func Render(p Page) string {
	synopsis, sections := Parse(p.Help)
	if len(p.Intro) > 0 {
		if len(sections) > 0 && sections[0].Title == "DESCRIPTION" {
			sections[0].Text = append(append([]string{}, p.Intro...), sections[0].Text...)
		} else {
			sections = append([]Section{{Title: "DESCRIPTION", Text: p.Intro}}, sections...)
		}
	}
	sections = append(sections, p.Extra...)

	var b strings.Builder
	fmt.Fprintf(&b, ".TH %s %d \"\" \"%s\" \"%s\"\n", strings.ToUpper(escape(p.Name)), p.Section, escape(p.Source), escape(p.Manual))
	fmt.Fprintf(&b, ".SH NAME\n%s \\- %s\n", escape(p.Name), escape(p.Summary))
	if len(synopsis) > 0 {
		b.WriteString(".SH SYNOPSIS\n.nf\n")
		for _, s := range synopsis {
			b.WriteString(escape(s) + "\n")
		}
		b.WriteString(".fi\n")
	}
	for _, s := range sections {
		fmt.Fprintf(&b, ".SH %s\n", escape(s.Title))
		for i, t := range s.Text {
			if i > 0 {
				b.WriteString(".PP\n")
			}
			b.WriteString(escape(t) + "\n")
		}
		for _, it := range s.Items {
			fmt.Fprintf(&b, ".TP\n.B %s\n%s\n", escape(it.Term), escape(it.Desc))
		}
		for _, t := range s.Notes {
			b.WriteString(".PP\n" + escape(t) + "\n")
		}
	}
	return b.String()
}

var lineStart = regexp.MustCompile(`(?m)^([.'])`)

// escape makes text safe for roff: backslashes and minus signs are
// written as such, and a line may not start with a control character.
func escape(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	return lineStart.ReplaceAllString(s, `\&$1`)
}
