package tunnel

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"syscall"

	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/platform"
)

// validName is the rule for tunnel names: safe as a file name on every OS
// and in URLs, and the wg-quick character set.
var validName = regexp.MustCompile(`^[a-zA-Z0-9_=+.-]{1,32}$`)

// CheckName returns an error wrapping ErrBadName unless name is a valid
// tunnel name: 1 to 32 of the characters a-z A-Z 0-9 _ = + . - and not
// "." or "..".
func CheckName(name string) error {
	if !validName.MatchString(name) || name == "." || name == ".." {
		return fmt.Errorf("%w %q: use 1 to 32 letters, digits or _=+.-", ErrBadName, name)
	}
	return nil
}

const (
	confExt    = ".conf"
	optionsExt = ".json"
)

// store keeps each tunnel's config as <dir>/<name>.conf, mode 0600, in
// wg-quick text (config.Marshal), replaced atomically. Its options and
// the owner (who wrote the config) live beside it in <dir>/<name>.json,
// so that the .conf stays a standard wg-quick file; a tunnel without one
// has the default options and no known owner.
type store struct {
	dir string
}

// storedTunnel is one file read back at start: cfg, or err if it is
// unusable, its size in bytes, and its options and owner (the defaults
// and nil when optErr says the file did not read).
type storedTunnel struct {
	name   string
	cfg    *config.Config
	err    error
	size   int
	opts   Options
	owner  *Caller
	optErr error
}

// openStore creates stateDir and stateDir/tunnels with mode 0700.
func openStore(stateDir string) (*store, error) {
	dir := filepath.Join(stateDir, "tunnels")
	for _, d := range []string{stateDir, dir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("create state directory: %w", err)
		}
		// MkdirAll leaves an existing directory as it is; the tunnels hold
		// private keys, so tighten it.
		if err := os.Chmod(d, 0o700); err != nil {
			return nil, fmt.Errorf("secure state directory: %w", err)
		}
	}
	return &store{dir: dir}, nil
}

func (s *store) path(name string) string { return filepath.Join(s.dir, name+confExt) }

func (s *store) optionsPath(name string) string { return filepath.Join(s.dir, name+optionsExt) }

// load reads every stored tunnel, sorted by name. A file that does not
// parse is returned with its error rather than failing the whole load.
func (s *store) load() ([]storedTunnel, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("read tunnel store: %w", err)
	}
	var out []storedTunnel
	for _, e := range entries {
		fname := e.Name()
		name, ok := strings.CutSuffix(fname, confExt)
		if !ok || !e.Type().IsRegular() || CheckName(name) != nil {
			continue // temp files, strays
		}
		t := storedTunnel{name: name}
		data, err := os.ReadFile(filepath.Join(s.dir, fname))
		if err == nil {
			t.size = len(data)
			t.cfg, _, err = config.Parse(data)
		}
		if err != nil {
			t.cfg, t.err = nil, fmt.Errorf("load %s: %w", fname, err)
		}
		t.opts, t.owner, t.optErr = s.loadMeta(name)
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// save writes cfg under name atomically: a temp file in the same directory,
// fsync, rename over the old file, fsync the directory.
func (s *store) save(name string, cfg *config.Config) error {
	if err := platform.WriteFileAtomic(s.path(name), cfg.Marshal(), 0o600); err != nil {
		return fmt.Errorf("save %s: %w", name, err)
	}
	return nil
}

// loadMeta reads a tunnel's options and owner: the defaults and no
// owner when it has none stored, and the same with an error when the
// file does not read (the defaults are the safe side: the kill switch on
// for a full tunnel, changes for administrators only, no scripts).
func (s *store) loadMeta(name string) (Options, *Caller, error) {
	b, err := os.ReadFile(s.optionsPath(name))
	if errors.Is(err, fs.ErrNotExist) {
		return DefaultOptions(), nil, nil
	}
	if err != nil {
		return DefaultOptions(), nil, fmt.Errorf("load options of %s: %w", name, err)
	}
	o, owner, err := unmarshalMeta(b)
	if err != nil {
		return o, owner, fmt.Errorf("load options of %s: %w", name, err)
	}
	return o, owner, nil
}

// saveMeta writes a tunnel's options and owner atomically, mode 0600.
func (s *store) saveMeta(name string, o Options, owner *Caller) error {
	if err := platform.WriteFileAtomic(s.optionsPath(name), marshalMeta(o, owner), 0o600); err != nil {
		return fmt.Errorf("save options of %s: %w", name, err)
	}
	return nil
}

// removeOptions deletes a tunnel's options file; a missing one is not an
// error.
func (s *store) removeOptions(name string) error {
	if err := os.Remove(s.optionsPath(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete options of %s: %w", name, err)
	}
	return nil
}

// remove deletes a stored tunnel; a missing file is not an error. The
// options go first: a crash in between leaves the tunnel with default
// options, never options that a later tunnel of that name would inherit.
func (s *store) remove(name string) error {
	if err := s.removeOptions(name); err != nil {
		return err
	}
	if err := os.Remove(s.path(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete %s: %w", name, err)
	}
	return s.syncDir()
}

// syncDir makes a rename or removal durable. Windows cannot open a
// directory for syncing; there the rename is already durable enough.
func (s *store) syncDir() error {
	d, err := os.Open(s.dir)
	if err != nil {
		return fmt.Errorf("sync tunnel store: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !ignoreDirSyncError(err) {
		return fmt.Errorf("sync tunnel store: %w", err)
	}
	return nil
}

// ignoreDirSyncError: Windows cannot flush a directory handle, and some
// file systems answer EINVAL; the rename itself has happened either way.
func ignoreDirSyncError(err error) bool {
	return runtime.GOOS == "windows" || errors.Is(err, syscall.EINVAL)
}
