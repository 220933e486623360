package config

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"gopkg.in/ini.v1"
)

// MaxTextSize is the largest input Parse and DecodeText accept: 1 MiB. A
// real config is a few kilobytes; the limit keeps a hostile or mistaken
// file (a video dragged onto the window) from costing memory and time.
const MaxTextSize = 1 << 20

// Section and key names as wg-quick(8) spells them. Matching is
// case-insensitive, as in wg-quick; the writer uses these spellings.
var (
	interfaceKeys = []string{"PrivateKey", "ListenPort", "FwMark", "Address", "DNS", "MTU", "Table",
		"PreUp", "PostUp", "PreDown", "PostDown", "SaveConfig"}
	peerKeys = []string{"PublicKey", "PresharedKey", "AllowedIPs", "Endpoint", "PersistentKeepalive"}
)

// repeatableKeys may appear more than once in a section; their values add
// up. Every other key may appear once.
var repeatableKeys = map[string]bool{
	"Address": true, "DNS": true, "AllowedIPs": true,
	"PreUp": true, "PostUp": true, "PreDown": true, "PostDown": true,
}

// scriptKeys hold shell commands: their values are kept raw, '#' included,
// because wg-quick hands them to bash as they are.
var scriptKeys = map[string]bool{"PreUp": true, "PostUp": true, "PreDown": true, "PostDown": true}

// iniValueGuard is put in front of every value handed to ini.v1 and taken
// off again. ini.v1 gives a meaning to values that start with a backtick or
// `"""` (multi-line quoting), and a PostUp command may well start with a
// backtick; with the guard in front, ini.v1 returns every value verbatim.
const iniValueGuard = "|"

type sectionKind int

const (
	sectionInterface sectionKind = iota + 1
	sectionPeer
)

func (k sectionKind) String() string {
	if k == sectionInterface {
		return "[Interface]"
	}
	return "[Peer]"
}

func (k sectionKind) keys() []string {
	if k == sectionInterface {
		return interfaceKeys
	}
	return peerKeys
}

// srcSection is one section as the line scanner saw it: where its header
// is and on which lines each key occurs, in order. ini.v1 gives the same
// keys and values back, and this maps them to their lines.
type srcSection struct {
	kind  sectionKind
	line  int
	lines map[string][]int // canonical key name -> source lines
}

// item is one key = value line, in source order.
type item struct {
	line    int
	section int // index into the scanned sections
	key     string
	value   string
}

// positions remembers where things are in the source, so that the semantic
// checks shared with Validate can name a line. A nil *positions (a config
// built in code) gives line 0 everywhere.
type positions struct {
	iface     int
	mtu       int
	peers     []int // [Peer] header lines
	publicKey []int // PublicKey line per peer, 0 if none
}

func (p *positions) ifaceLine() int {
	if p == nil {
		return 0
	}
	return p.iface
}

func (p *positions) mtuLine() int {
	if p == nil {
		return 0
	}
	return p.mtu
}

func (p *positions) peerLine(i int) int {
	if p == nil || i >= len(p.peers) {
		return 0
	}
	return p.peers[i]
}

func (p *positions) publicKeyLine(i int) int {
	if p == nil || i >= len(p.publicKey) || p.publicKey[i] == 0 {
		return p.peerLine(i)
	}
	return p.publicKey[i]
}

// DecodeText turns the bytes of a config file into text with "\n" line
// ends: UTF-8 with or without a byte order mark, or UTF-16 little or big
// endian with a byte order mark (what Windows Notepad saves as "Unicode").
// CRLF and lone CR line ends become LF. Invalid UTF-8 or UTF-16, NUL
// characters and input over MaxTextSize are errors that wrap ErrNotConfig.
func DecodeText(data []byte) (string, error) {
	if len(data) > MaxTextSize {
		return "", notConfigError(0, fmt.Sprintf("input is %d bytes, more than the %d byte limit", len(data), MaxTextSize),
			"a wireguard config is a few kilobytes; choose the .conf file")
	}
	var text string
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		data = data[3:]
		if !utf8.Valid(data) {
			return "", invalidUTF8(data)
		}
		text = string(data)
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		s, err := decodeUTF16(data[2:], data[0] == 0xFF)
		if err != nil {
			return "", err
		}
		text = s
	default:
		if !utf8.Valid(data) {
			return "", invalidUTF8(data)
		}
		text = string(data)
	}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	if i := strings.IndexByte(text, 0); i >= 0 {
		return "", notConfigError(1+strings.Count(text[:i], "\n"), "binary data (a NUL character)",
			"choose the wireguard .conf text file")
	}
	return text, nil
}

func invalidUTF8(data []byte) error {
	bad := 0
	for bad < len(data) {
		r, size := utf8.DecodeRune(data[bad:])
		if r == utf8.RuneError && size <= 1 {
			break
		}
		bad += size
	}
	line := 1 + bytes.Count(data[:bad], []byte{'\n'})
	return notConfigError(line, "text is not valid utf-8", "save the file as UTF-8 text")
}

func decodeUTF16(b []byte, littleEndian bool) (string, error) {
	if len(b)%2 != 0 {
		return "", notConfigError(0, "utf-16 text has an odd number of bytes", "save the file as UTF-8 text")
	}
	units := make([]uint16, len(b)/2)
	for i := range units {
		if littleEndian {
			units[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
		} else {
			units[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		}
	}
	// utf16.Decode turns lone surrogates into U+FFFD silently; find them
	// first so that broken text is an error, as invalid UTF-8 is.
	line := 1
	for i := 0; i < len(units); i++ {
		u := units[i]
		switch {
		case u == '\n':
			line++
		case utf16.IsSurrogate(rune(u)):
			if u >= 0xDC00 || i+1 >= len(units) || units[i+1] < 0xDC00 || units[i+1] > 0xDFFF {
				return "", notConfigError(line, "text is not valid utf-16", "save the file as UTF-8 text")
			}
			i++
		}
	}
	return string(utf16.Decode(units)), nil
}

// Parse reads a wg-quick config (any encoding DecodeText accepts) and
// checks it as Validate does. It returns the first mistake in file order as
// a *ParseError; errors.Is(err, ErrNotConfig) tells input that is no config
// at all. Warnings list what was repaired, such as the doubled port of a
// RouterOS export.
//
// The rules follow wg-quick(8): sections [Interface] and [Peer] and keys
// match case-insensitively; '=' is the only delimiter; '#' starts a comment
// anywhere except in PreUp, PostUp, PreDown and PostDown, which are kept
// raw; ';' is an ordinary character; there are no quotes and no line
// continuations. Address and AllowedIPs keep the host bits as written
// (10.0.0.2/24 stays so; wg(8) masks AllowedIPs when applying them), and a
// bare IP address becomes a /32 or /128.
func Parse(data []byte) (*Config, []Warning, error) {
	text, err := DecodeText(data)
	if err != nil {
		return nil, nil, err
	}
	lines := strings.Split(text, "\n")
	c, warnings, perr := parseLines(lines)
	if perr != nil {
		if !perr.notConfig && !looksLikeConfig(lines) {
			perr.notConfig = true
		}
		return nil, nil, perr
	}
	return c, warnings, nil
}

// looksLikeConfig reports whether any line is an [Interface] or [Peer]
// header or sets a key wg-quick knows. Text without one (HTML, prose, a
// random file) is no config at all, whatever its first error is.
func looksLikeConfig(lines []string) bool {
	for _, raw := range lines {
		t := strings.TrimSpace(raw)
		if name, ok := sectionName(t); ok {
			if strings.EqualFold(name, "interface") || strings.EqualFold(name, "peer") {
				return true
			}
			continue
		}
		if k, _, ok := strings.Cut(t, "="); ok {
			k = strings.TrimSpace(k)
			if canonicalKey(interfaceKeys, k) != "" || canonicalKey(peerKeys, k) != "" {
				return true
			}
		}
	}
	return false
}

// sectionName gives the name inside a section header line with any
// comment cut off; ok is false when the line is no well-formed header.
func sectionName(t string) (string, bool) {
	if !strings.HasPrefix(t, "[") {
		return "", false
	}
	h, _, _ := strings.Cut(t, "#")
	h = strings.TrimSpace(h)
	if len(h) < 2 || !strings.HasSuffix(h, "]") {
		return "", false
	}
	return strings.TrimSpace(h[1 : len(h)-1]), true
}

func canonicalKey(keys []string, name string) string {
	for _, k := range keys {
		if strings.EqualFold(k, name) {
			return k
		}
	}
	return ""
}

// printableName gives a key name for an error message, or "" when the name
// might be something else, such as a pasted key missing its "PrivateKey =".
func printableName(s string) string {
	if len(s) == 0 || len(s) > 24 {
		return ""
	}
	for i, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && (r >= '0' && r <= '9' || r == '_' || r == '-')) {
			return ""
		}
	}
	return s
}

// parseLines scans the lines for structure (and positions), has ini.v1
// read the cleaned text into sections and keys, then interprets the values
// in source order. The first error by line is returned; checks of the
// whole file follow when no line has an error.
func parseLines(lines []string) (*Config, []Warning, *ParseError) {
	// A structural mistake stops the scan; the values before it are still
	// read so that a bad value on an earlier line is reported first.
	sections, cleaned, scanErr := scan(lines)
	items, perr := readINI(cleaned, sections)
	if perr != nil {
		return nil, nil, perr
	}

	c := &Config{}
	pos := &positions{}
	var warnings []Warning
	peerIndex := make([]int, len(sections)) // section index -> index into c.Peers
	for i, s := range sections {
		switch s.kind {
		case sectionInterface:
			pos.iface = s.line
		case sectionPeer:
			peerIndex[i] = len(c.Peers)
			c.Peers = append(c.Peers, Peer{})
			pos.peers = append(pos.peers, s.line)
			pos.publicKey = append(pos.publicKey, 0)
		}
	}
	for _, it := range items {
		var w *Warning
		var err *ParseError
		if sections[it.section].kind == sectionInterface {
			w, err = setInterfaceKey(&c.Interface, it)
			if it.key == "MTU" {
				pos.mtu = it.line
			}
		} else {
			p := peerIndex[it.section]
			w, err = setPeerKey(&c.Peers[p], it)
			if it.key == "PublicKey" {
				pos.publicKey[p] = it.line
			}
		}
		if err != nil {
			return nil, nil, err
		}
		if w != nil {
			warnings = append(warnings, *w)
		}
	}
	if scanErr != nil {
		return nil, nil, scanErr
	}
	if pos.iface == 0 {
		hint := "add an [Interface] section with PrivateKey = <output of wg genkey>"
		if len(sections) == 0 {
			return nil, nil, notConfigError(0, "no [Interface] section", hint)
		}
		return nil, nil, lineError(0, "", "no [Interface] section", hint)
	}
	// Checks of the file as a whole (missing keys, duplicate peers) come
	// after all line errors.
	if err := c.validate(pos); err != nil {
		return nil, nil, err
	}
	return c, warnings, nil
}

// scan checks every line for structure, records where sections and keys
// are and builds the text handed to ini.v1: canonical headers, lower-case
// key names, values with comments cut (except scripts) and guarded.
func scan(lines []string) ([]*srcSection, string, *ParseError) {
	var sections []*srcSection
	var cur *srcSection
	ifaceLine := 0
	var b strings.Builder
	for i, raw := range lines {
		n := i + 1
		t := strings.TrimSpace(raw)
		if t == "" || t[0] == '#' {
			continue
		}
		if t[0] == '[' {
			name, ok := sectionName(t)
			if !ok {
				msg := "section header without a closing ]"
				if strings.Contains(t, "]") {
					msg = "text after the section header"
				}
				return sections, b.String(), lineError(n, "", msg, "write it as [Interface] or [Peer], with comments after #")
			}
			var kind sectionKind
			switch {
			case strings.EqualFold(name, "interface"):
				if ifaceLine != 0 {
					return sections, b.String(), lineError(n, "", fmt.Sprintf("second [Interface] section (the first is on line %d)", ifaceLine),
						"a config has one [Interface]; merge the two or split the file")
				}
				kind, ifaceLine = sectionInterface, n
			case strings.EqualFold(name, "peer"):
				kind = sectionPeer
			default:
				hint := "a wg-quick config has only [Interface] and [Peer] sections"
				if s := nearest(name, []string{"Interface", "Peer"}); s != "" {
					hint = "did you mean [" + s + "]?"
				}
				msg := "unknown section"
				if p := printableName(name); p != "" {
					msg = "unknown section [" + p + "]"
				}
				return sections, b.String(), lineError(n, "", msg, hint)
			}
			cur = &srcSection{kind: kind, line: n, lines: map[string][]int{}}
			sections = append(sections, cur)
			fmt.Fprintf(&b, "[%s]\n", strings.ToLower(name))
			continue
		}
		rawKey, rawValue, ok := strings.Cut(t, "=")
		if !ok {
			return sections, b.String(), lineError(n, "", "line is neither a [section], a # comment nor key = value",
				"write it as Key = value, or put # in front to make it a comment")
		}
		name := strings.TrimSpace(rawKey)
		if name == "" {
			return sections, b.String(), lineError(n, "", "line has no key name before =", "write it as Key = value")
		}
		if cur == nil {
			return sections, b.String(), lineError(n, printableName(name), "key = value outside any section",
				"put it below an [Interface] or [Peer] header")
		}
		key := canonicalKey(cur.kind.keys(), name)
		if key == "" {
			return sections, b.String(), unknownKeyError(n, cur.kind, name)
		}
		if first := cur.lines[key]; len(first) > 0 && !repeatableKeys[key] {
			return sections, b.String(), lineError(n, key, fmt.Sprintf("second %s in this section (the first is on line %d)", key, first[0]),
				"keep only one of them")
		}
		value := rawValue
		if !scriptKeys[key] {
			value, _, _ = strings.Cut(value, "#")
		}
		value = strings.TrimSpace(value)
		if value == "" {
			return sections, b.String(), lineError(n, key, "empty value for "+key, "give it a value or delete the line")
		}
		cur.lines[key] = append(cur.lines[key], n)
		fmt.Fprintf(&b, "%s = %s%s\n", strings.ToLower(key), iniValueGuard, value)
	}
	return sections, b.String(), nil
}

func unknownKeyError(line int, kind sectionKind, name string) *ParseError {
	other := sectionPeer
	if kind == sectionPeer {
		other = sectionInterface
	}
	if k := canonicalKey(other.keys(), name); k != "" {
		return lineError(line, k, fmt.Sprintf("key %s belongs in %s, not in %s", k, other, kind),
			"move the line below the "+other.String()+" header")
	}
	msg := "unknown key in " + kind.String()
	if p := printableName(name); p != "" {
		msg = fmt.Sprintf("unknown key %s in %s", p, kind)
	}
	if s := nearest(name, kind.keys()); s != "" {
		return lineError(line, printableName(name), msg, "did you mean "+s+"?")
	}
	if s := nearest(name, other.keys()); s != "" {
		return lineError(line, printableName(name), msg, "did you mean "+s+" (in "+other.String()+")?")
	}
	return lineError(line, printableName(name), msg,
		"delete the line; "+kind.String()+" takes "+strings.Join(kind.keys(), ", "))
}

// readINI has ini.v1 read the cleaned text and gives its keys and values
// back as items in source order, using the scanner's positions.
func readINI(text string, sections []*srcSection) ([]item, *ParseError) {
	f, err := ini.LoadSources(ini.LoadOptions{
		Insensitive:                true,
		IgnoreContinuation:         true,
		IgnoreInlineComment:        true,
		AllowShadows:               true,
		AllowDuplicateShadowValues: true,
		AllowNonUniqueSections:     true,
		PreserveSurroundedQuote:    true,
		KeyValueDelimiters:         "=",
	}, []byte(text))
	if err != nil {
		// The scanner only hands over lines ini.v1 accepts; this is a bug.
		return nil, lineError(0, "", "internal parser error ("+err.Error()+")", "please report this file's structure (without keys)")
	}
	var items []item
	idx := 0
	for _, sec := range f.Sections() {
		if sec.Name() == strings.ToLower(ini.DefaultSection) {
			if len(sec.Keys()) != 0 {
				return nil, lineError(0, "", "internal parser error (keys outside sections)", "please report this")
			}
			continue
		}
		if idx >= len(sections) {
			return nil, lineError(0, "", "internal parser error (section count)", "please report this")
		}
		src := sections[idx]
		for _, k := range sec.Keys() {
			key := canonicalKey(src.kind.keys(), k.Name())
			values := k.ValueWithShadows()
			at := src.lines[key]
			if key == "" || len(values) != len(at) {
				return nil, lineError(src.line, key, "internal parser error (key positions)", "please report this")
			}
			for j, v := range values {
				v, ok := strings.CutPrefix(v, iniValueGuard)
				if !ok {
					return nil, lineError(at[j], key, "internal parser error (value changed)", "please report this")
				}
				items = append(items, item{line: at[j], section: idx, key: key, value: v})
			}
		}
		idx++
	}
	if idx != len(sections) {
		return nil, lineError(0, "", "internal parser error (section count)", "please report this")
	}
	slices.SortStableFunc(items, func(a, b item) int { return a.line - b.line })
	return items, nil
}

func keyHint(key string) string {
	switch key {
	case "PrivateKey":
		return "a private key is 44 characters of base64 as wg genkey prints it"
	case "PresharedKey":
		return "a preshared key is 44 characters of base64 as wg genpsk prints it"
	default:
		return "a public key is 44 characters of base64 as wg pubkey prints it"
	}
}

// parseKeyValue decodes a key without ever echoing its text.
func parseKeyValue(it item) (Key, *ParseError) {
	k, err := ParseKey(it.value)
	if err != nil {
		msg := "invalid " + it.key + ", not canonical base64"
		if n := utf8.RuneCountInString(it.value); n != 44 {
			msg = fmt.Sprintf("invalid %s of %d characters, not 44", it.key, n)
		}
		return Key{}, lineError(it.line, it.key, msg, keyHint(it.key))
	}
	return k, nil
}

// parseDecimal parses digits only (no sign, no spaces) into an unsigned
// number of at most max.
func parseDecimal(s string, max uint64) (uint64, bool) {
	if s == "" || len(s) > 20 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || v > max {
		return 0, false
	}
	return v, true
}

// splitList splits a comma list as wg(8) does, trimming spaces around
// each element; an empty element is an error.
func splitList(it item) ([]string, *ParseError) {
	parts := strings.Split(it.value, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
		if parts[i] == "" {
			return nil, lineError(it.line, it.key, "empty element in the "+it.key+" list",
				"remove the extra comma")
		}
	}
	return parts, nil
}

// parsePrefix reads an address with or without a prefix length; a bare
// address becomes a /32 or /128. Host bits stay as written.
func parsePrefix(s string) (netip.Prefix, bool) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, false
		}
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	return p, true
}

func setInterfaceKey(in *Interface, it item) (*Warning, *ParseError) {
	switch it.key {
	case "PrivateKey":
		k, err := parseKeyValue(it)
		if err != nil {
			return nil, err
		}
		in.PrivateKey = k
	case "ListenPort":
		v, ok := parseDecimal(it.value, 65535)
		if !ok {
			return nil, lineError(it.line, it.key, "invalid ListenPort, not a port number from 0 to 65535",
				"write a number such as 51820, or delete the line for a random port")
		}
		in.ListenPort = uint16(v)
	case "FwMark":
		v, ok := parseFwMark(it.value)
		if !ok {
			return nil, lineError(it.line, it.key, "invalid FwMark, not a 32-bit number",
				"write a decimal number, a 0x hex number or off")
		}
		in.FwMark = v
	case "Address":
		parts, err := splitList(it)
		if err != nil {
			return nil, err
		}
		for _, s := range parts {
			p, ok := parsePrefix(s)
			if !ok {
				return nil, lineError(it.line, it.key, fmt.Sprintf("invalid Address %q", s),
					"write an IP address with its prefix length, for example 10.0.0.2/24 or fd00::2/64")
			}
			in.Addresses = append(in.Addresses, p)
		}
	case "DNS":
		return setDNS(in, it)
	case "MTU":
		v, ok := parseDecimal(it.value, 65535)
		if !ok || v < minMTU {
			return nil, lineError(it.line, it.key, fmt.Sprintf("invalid MTU, not a number from %d to 65535", minMTU),
				"write a number such as 1420, or delete the line for an automatic MTU")
		}
		in.MTU = uint16(v)
	case "Table":
		if !validTable(it.value) {
			return nil, lineError(it.line, it.key, "invalid Table",
				"write off, auto, a table number or a table name of letters, digits, _ and -")
		}
		in.Table = it.value
	case "PreUp":
		in.PreUp = append(in.PreUp, it.value)
	case "PostUp":
		in.PostUp = append(in.PostUp, it.value)
	case "PreDown":
		in.PreDown = append(in.PreDown, it.value)
	case "PostDown":
		in.PostDown = append(in.PostDown, it.value)
	case "SaveConfig":
		switch {
		case strings.EqualFold(it.value, "true"):
			in.SaveConfig = true
		case strings.EqualFold(it.value, "false"):
			in.SaveConfig = false
		default:
			return nil, lineError(it.line, it.key, "invalid SaveConfig, neither true nor false", "write true or false")
		}
	}
	return nil, nil
}

func parseFwMark(s string) (uint32, bool) {
	if strings.EqualFold(s, "off") {
		return 0, true
	}
	if h, ok := strings.CutPrefix(strings.ToLower(s), "0x"); ok {
		if h == "" || len(h) > 8 || strings.Trim(h, "0123456789abcdef") != "" {
			return 0, false
		}
		v, err := strconv.ParseUint(h, 16, 32)
		return uint32(v), err == nil
	}
	v, ok := parseDecimal(s, 1<<32-1)
	return uint32(v), ok
}

// setDNS sorts the DNS list into servers and search domains.
func setDNS(in *Interface, it item) (*Warning, *ParseError) {
	parts, err := splitList(it)
	if err != nil {
		return nil, err
	}
	var warning *Warning
	for _, s := range parts {
		if a, err := netip.ParseAddr(s); err == nil {
			if a.Zone() != "" {
				return nil, lineError(it.line, it.key, fmt.Sprintf("invalid DNS server %q with a zone", s), "write the address without %zone")
			}
			in.DNS = append(in.DNS, a)
			continue
		}
		if p, err := netip.ParsePrefix(s); err == nil {
			// RouterOS types client-dns as an IP prefix; a host prefix
			// (192.168.88.1/32) names one server. Other prefixes are
			// networks, not servers.
			if p.Bits() == p.Addr().BitLen() && p.Addr().Zone() == "" {
				in.DNS = append(in.DNS, p.Addr())
				warning = &Warning{Line: it.line, Key: it.key, Message: fmt.Sprintf(
					"DNS server %s has a prefix length, as RouterOS client-dns may carry one; using %s", s, p.Addr())}
				continue
			}
			return nil, lineError(it.line, it.key, fmt.Sprintf("invalid DNS server %q, a network and not an address", s),
				"write the server's address without a prefix length")
		}
		if !validHostname(s) {
			return nil, lineError(it.line, it.key, fmt.Sprintf("invalid DNS entry %q, neither an IP address nor a search domain", s),
				"list name server addresses and search domains such as example.com, separated by commas")
		}
		in.DNSSearch = append(in.DNSSearch, s)
	}
	return warning, nil
}

func setPeerKey(p *Peer, it item) (*Warning, *ParseError) {
	switch it.key {
	case "PublicKey", "PresharedKey":
		k, err := parseKeyValue(it)
		if err != nil {
			return nil, err
		}
		if it.key == "PublicKey" {
			p.PublicKey = k
		} else {
			p.PresharedKey = k
		}
	case "AllowedIPs":
		parts, err := splitList(it)
		if err != nil {
			return nil, err
		}
		for _, s := range parts {
			pr, ok := parsePrefix(s)
			if !ok {
				return nil, lineError(it.line, it.key, fmt.Sprintf("invalid AllowedIPs entry %q", s),
					"write networks such as 10.0.0.0/24 or 0.0.0.0/0, ::/0")
			}
			p.AllowedIPs = append(p.AllowedIPs, pr)
		}
	case "Endpoint":
		ep, doubled, msg, hint := parseEndpoint(it.value)
		if msg != "" {
			return nil, lineError(it.line, it.key, msg, hint)
		}
		p.Endpoint = ep
		if doubled {
			return &Warning{Line: it.line, Key: it.key, Message: fmt.Sprintf(
				"Endpoint has its port twice, as RouterOS exports write it when client-endpoint already holds the port; using %s",
				ep)}, nil
		}
	case "PersistentKeepalive":
		if strings.EqualFold(it.value, "off") {
			p.PersistentKeepalive = 0
			break
		}
		v, ok := parseDecimal(it.value, 65535)
		if !ok {
			return nil, lineError(it.line, it.key, "invalid PersistentKeepalive, not a number from 0 to 65535",
				"write whole seconds such as 25, or off")
		}
		p.PersistentKeepalive = uint16(v)
	}
	return nil, nil
}

// parseEndpoint reads host:port, [IPv6]:port or IPv4:port. A doubled equal
// port (host:13231:13231) is repaired and reported with doubled = true.
// On error msg and hint say what is wrong.
func parseEndpoint(s string) (ep Endpoint, doubled bool, msg, hint string) {
	const form = "write it as host:port, for example vpn.example.com:51820, 192.0.2.1:51820 or [2001:db8::1]:51820"
	var host, ports string
	if rest, ok := strings.CutPrefix(s, "["); ok {
		h, after, ok := strings.Cut(rest, "]")
		if !ok {
			return ep, false, "invalid Endpoint with [ but no ]", form
		}
		a, err := netip.ParseAddr(h)
		if err != nil || !a.Is6() {
			return ep, false, "invalid Endpoint, no IPv6 address inside [ ]", form
		}
		host = a.Unmap().String()
		ports, ok = strings.CutPrefix(after, ":")
		if !ok {
			return ep, false, "invalid Endpoint without a port", form
		}
	} else {
		var ok bool
		host, ports, ok = strings.Cut(s, ":")
		if !ok {
			return ep, false, "invalid Endpoint without a port", form
		}
		if a, err := netip.ParseAddr(s); err == nil && a.Is6() || strings.Count(s, ":") > 2 {
			return ep, false, "invalid Endpoint, an IPv6 address without brackets", "write it as [2001:db8::1]:51820"
		}
		if host == "" {
			return ep, false, "invalid Endpoint without a host", form
		}
		if a, err := netip.ParseAddr(host); err == nil {
			host = a.String()
		} else if !validHostname(host) {
			return ep, false, "invalid Endpoint host name", form
		}
	}
	if p1, p2, ok := strings.Cut(ports, ":"); ok {
		v1, ok1 := parseDecimal(p1, 65535)
		v2, ok2 := parseDecimal(p2, 65535)
		if !ok1 || !ok2 || v1 != v2 || v1 == 0 {
			return ep, false, "invalid Endpoint with more than one port", form
		}
		ports, doubled = p1, true
	}
	port, ok := parseDecimal(ports, 65535)
	if !ok || port == 0 {
		return ep, false, "invalid Endpoint port, not a number from 1 to 65535", form
	}
	return Endpoint{Host: host, Port: uint16(port)}, doubled, "", ""
}

// validHostname accepts ASCII DNS names: labels of letters, digits, '-'
// and '_' (seen in internal zones), 1 to 63 characters, not starting or
// ending with '-', 253 characters in all, an optional final dot, and a last
// label that is not all digits (so a mistyped IPv4 address is no name).
// International names must be written in their xn-- form.
func validHostname(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	labels := strings.Split(s, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	last := labels[len(labels)-1]
	return strings.Trim(last, "0123456789") != ""
}

// validTable accepts what wg-quick(8) does with Table: off, auto, a
// routing table number, or a table name from /etc/iproute2/rt_tables.
func validTable(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	if s == "off" || s == "auto" {
		return true
	}
	if _, ok := parseDecimal(s, 1<<32-1); ok {
		return true
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
