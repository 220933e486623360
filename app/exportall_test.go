//go:build cgo

package app

import (
	"archive/zip"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/tunnel/api"
)

func TestExportAllWritesOneOwnerOnlyZip(t *testing.T) {
	h := newHarness(t, true, Options{})
	cfgs := map[string]*config.Config{"home": testConfig(t), "office": testConfig(t), "vpn.mikrotik": testConfig(t)}
	for name, cfg := range cfgs {
		if err := h.svc.Import(name, cfg); err != nil {
			t.Fatal(err)
		}
	}
	h.waitFor("the tunnels", func() bool { return len(h.rowNames()) == len(cfgs) })
	if findButton(h.ui.win.Content(), "Export all…") == nil {
		t.Fatal("no Export all… button on the window")
	}

	path := filepath.Join(t.TempDir(), "all.zip")
	// The save dialog may have created the file with the default mode.
	if err := os.WriteFile(path, []byte("left over"), 0o644); err != nil {
		t.Fatal(err)
	}
	h.ui.exportAll(path)
	h.waitFor("the Exported dialog", func() bool {
		o := h.topOverlay()
		return o != nil && hasText(o, "Saved 3 tunnels to "+path)
	})

	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := config.Parse(data)
		if err != nil {
			t.Errorf("%s does not parse: %v", f.Name, err)
			continue
		}
		want := cfgs[f.Name[:len(f.Name)-len(".conf")]]
		if want == nil {
			t.Errorf("unexpected entry %s", f.Name)
			continue
		}
		if got.Interface.PrivateKey != want.Interface.PrivateKey || len(got.Peers) != len(want.Peers) {
			t.Errorf("%s holds another config", f.Name)
		}
		if f.Mode().Perm() != 0o600 {
			t.Errorf("%s: entry mode %v, want 0600", f.Name, f.Mode().Perm())
		}
	}
	if want := []string{"home.conf", "office.conf", "vpn.mikrotik.conf"}; !slices.Equal(names, want) {
		t.Errorf("entries %v, want %v", names, want)
	}

	// The importer reads the zip back under the same names.
	imported, err := config.ImportFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var back []string
	for _, im := range imported {
		if im.Err != nil {
			t.Errorf("import %s: %v", im.Name, im.Err)
		}
		back = append(back, im.Name)
	}
	slices.Sort(back)
	if want := []string{"home", "office", "vpn.mikrotik"}; !slices.Equal(back, want) {
		t.Errorf("imported back %v, want %v", back, want)
	}
}

func TestExportAllFailsWholeOnAMissingTunnel(t *testing.T) {
	h := newHarness(t, true, Options{})
	if err := h.svc.Import("home", testConfig(t)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "all.zip")
	err := exportAllTo(context.Background(), h.ui.client, []string{"home", "gone"}, path, time.Now())
	if !api.IsCode(err, api.CodeNotFound) {
		t.Errorf("export with a missing tunnel: %v", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a partial zip was written: %v", err)
	}
}
