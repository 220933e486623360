package platform

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// fakePF simulates the pf of the simulated Mac as pfctl(8) shows it:
// enabled or not with XNU's reference count (pfctl -e and every -E count
// one; -X gives one back and disables pf at zero; -d drops them all), the
// main ruleset (as launchd loads /etc/pf.conf at boot) and the anchors'
// rules. Anchor text is read with the kill switch model's parser
// (pfrules_test.go), so a rule it cannot read fails like a syntax error.
type fakePF struct {
	enabled   bool
	count     int             // references, tokens or not
	tokens    map[string]bool // the tokens of -E not yet given back
	nextToken uint64
	main      []string          // the main ruleset, as pfctl -s rules prints it
	anchors   map[string]string // anchor: the text loaded into it
}

// pfMacDefault is the main ruleset of macOS's /etc/pf.conf as pfctl -s
// rules prints it (scrub and filter rules only).
var pfMacDefault = []string{
	`scrub-anchor "com.apple/*" all fragment reassemble`,
	`anchor "com.apple/*" all`,
}

func newFakePF() *fakePF {
	return &fakePF{tokens: map[string]bool{}, nextToken: 9223372036854775000, main: slices.Clone(pfMacDefault), anchors: map[string]string{}}
}

// state renders pf as lines for fakeMac.state.
func (p *fakePF) state() []string {
	l := []string{"pf disabled"}
	if p.enabled {
		l = []string{fmt.Sprintf("pf enabled, %d references", p.count)}
	}
	for _, r := range p.main {
		l = append(l, "pf main "+r)
	}
	for name, text := range p.anchors {
		for _, line := range strings.Split(text, "\n") {
			if rest, ok := strings.CutPrefix(line, "# kill switch of "); ok {
				iface, _, _ := strings.Cut(rest, ":")
				l = append(l, fmt.Sprintf("pf anchor %s holds the kill switch of %s", name, iface))
			}
		}
	}
	return l
}

// inForce reports whether the kill switch's anchor is evaluated: pf is
// enabled, the main ruleset evaluates com.apple/*, and the anchor has
// rules.
func (p *fakePF) inForce() bool {
	return p.enabled && slices.Contains(p.main, `anchor "com.apple/*" all`) && p.anchors[pfAnchor] != ""
}

const pfALTQNotes = "No ALTQ support in kernel\nALTQ related functions disabled\n"

func (p *fakePF) run(f *fakeMac, stdin []byte, args []string) (out, msg string) {
	var anchor, show, flush, file, release string
	var enableRef, enable, disable bool
	for i := 0; i < len(args); i++ {
		val := func() string {
			if i+1 >= len(args) {
				f.bad("pfctl %q: %s without a value", args, args[i])
				return ""
			}
			i++
			return args[i]
		}
		switch args[i] {
		case "-a":
			anchor = val()
		case "-s":
			show = val()
		case "-F":
			flush = val()
		case "-f":
			file = val()
		case "-X":
			release = val()
		case "-E":
			enableRef = true
		case "-e":
			enable = true
		case "-d":
			disable = true
		default:
			return f.bad("pfctl: unknown option %q in %q", args[i], args)
		}
	}
	switch {
	case show == "rules" && anchor == "":
		if len(p.main) == 0 {
			return pfALTQNotes, ""
		}
		return pfALTQNotes + strings.Join(p.main, "\n") + "\n", ""
	case show == "rules":
		var rules []string
		for _, l := range strings.Split(p.anchors[anchor], "\n") {
			if r, _, _ := strings.Cut(l, "#"); strings.TrimSpace(r) != "" {
				rules = append(rules, strings.TrimSpace(r))
			}
		}
		return pfALTQNotes + strings.Join(rules, "\n") + "\n", ""
	case flush == "rules" && anchor != "":
		delete(p.anchors, anchor)
		return pfALTQNotes + "rules cleared\n", ""
	case flush != "":
		return f.bad("pfctl -F %s without an anchor would flush the whole machine's %s", flush, flush)
	case file == "-" && anchor != "":
		if stdin == nil {
			return f.bad("pfctl -f - without standard input")
		}
		if _, err := parsePFAnchor(string(stdin)); err != nil {
			return "", "stdin: syntax error: " + err.Error()
		}
		p.anchors[anchor] = string(stdin)
		return pfALTQNotes, ""
	case file == pfConf && anchor == "":
		p.main = slices.Clone(pfMacDefault)
		return pfALTQNotes + "pfctl: Use of -f option, could result in flushing of rules\npresent in the main ruleset added by the system at startup.\nSee /etc/pf.conf for further details.\n", ""
	case file != "":
		return f.bad("pfctl -f %s -a %q: not what the back end loads", file, anchor)
	case enableRef:
		p.nextToken++
		tok := strconv.FormatUint(p.nextToken, 10)
		p.tokens[tok] = true
		p.count++
		p.enabled = true
		return pfALTQNotes + "pf enabled\nToken : " + tok + "\n", ""
	case release != "":
		if !p.enabled {
			return "", pfALTQNotes + "pfctl: pf not enabled"
		}
		if !p.tokens[release] {
			return "", pfALTQNotes + "pfctl: DIOCSTOPREF: Invalid argument"
		}
		delete(p.tokens, release)
		p.count--
		if p.count == 0 {
			p.enabled = false
			return pfALTQNotes + "pf disabled\n", ""
		}
		return pfALTQNotes + fmt.Sprintf("disable request successful. %d more pf enable reference(s) remaining, pf still enabled.\n", p.count), ""
	case enable:
		if p.enabled {
			return "", pfALTQNotes + "pfctl: pf already enabled"
		}
		p.enabled = true
		p.count++
		return pfALTQNotes + "pf enabled\n", ""
	case disable:
		if !p.enabled {
			return "", pfALTQNotes + "pfctl: pf not enabled"
		}
		p.enabled, p.count, p.tokens = false, 0, map[string]bool{}
		return pfALTQNotes + "pf disabled\n", ""
	}
	return f.bad("pfctl %q", args)
}

// netstat answers netstat -rn -f inet|inet6 from the routing table, in
// the columns of macOS (connected_mac.go parses them).
func (f *fakeMac) netstat(args []string) (out, msg string) {
	if len(args) != 3 || args[0] != "-rn" || args[1] != "-f" || (args[2] != "inet" && args[2] != "inet6") {
		return f.bad("netstat %q", args)
	}
	v4 := args[2] == "inet"
	ifIndex := map[string]int{}
	names := make([]string, 0, len(f.ifaces))
	for name := range f.ifaces {
		names = append(names, name)
	}
	slices.Sort(names)
	for i, name := range names {
		ifIndex[name] = i + 1
	}
	var lines []string
	for p, r := range f.routes {
		if p.Addr().Is4() != v4 {
			continue
		}
		dest := p.String()
		switch {
		case p.Bits() == 0:
			dest = "default"
		case p.IsSingleIP():
			dest = p.Addr().String()
		case v4 && p.Bits()%8 == 0:
			dest = strings.Join(strings.Split(p.Addr().String(), ".")[:p.Bits()/8], ".")
		}
		gw, flags := fmt.Sprintf("link#%d", ifIndex[r.iface]), "UCS"
		if r.gateway.IsValid() {
			gw, flags = r.gateway.String(), "UGSc"
		}
		if p.IsSingleIP() {
			flags += "H"
		}
		lines = append(lines, fmt.Sprintf("%-18s %-18s %-10s %8s", dest, gw, flags, r.iface))
	}
	slices.Sort(lines)
	head := "Internet:\n"
	if !v4 {
		head = "Internet6:\n"
	}
	return "Routing tables\n\n" + head + "Destination        Gateway            Flags        Netif Expire\n" + strings.Join(lines, "\n") + "\n", ""
}

// pfHeld returns the interfaces whose kill switch the anchor holds.
func (p *fakePF) pfHeld() []string {
	var out []string
	for _, line := range strings.Split(p.anchors[pfAnchor], "\n") {
		if rest, ok := strings.CutPrefix(line, "# kill switch of "); ok {
			iface, _, _ := strings.Cut(rest, ":")
			out = append(out, iface)
		}
	}
	return out
}
