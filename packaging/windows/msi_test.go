package windows

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/wgdesk/wgdesk/internal/osservice"
)

// upgradeCode is the MSI's UpgradeCode. Windows Installer recognises an
// upgrade by it: changing it would install a second wgdesk beside the
// first instead of replacing it.
const upgradeCode = "{25AE0620-A29A-4ADF-8E8B-A86258C03217}"

// msiTable is one table exported by msiinfo: column names and rows.
type msiTable struct {
	name    string
	columns []string
	rows    []map[string]string
}

// where returns the rows whose column col is value.
func (t msiTable) where(col, value string) []map[string]string {
	var out []map[string]string
	for _, r := range t.rows {
		if r[col] == value {
			out = append(out, r)
		}
	}
	return out
}

// one returns the single row whose col is value, failing the test
// otherwise.
func (t msiTable) one(tb testing.TB, col, value string) map[string]string {
	tb.Helper()
	rows := t.where(col, value)
	if len(rows) != 1 {
		tb.Fatalf("table %s: %d rows with %s = %q, want 1; rows: %v", t.name, len(rows), col, value, t.rows)
	}
	return rows[0]
}

// parseMSITable reads the IDT text msiinfo export prints: column names,
// column types, the table name with its keys, then one row a line, tabs
// between fields, CRLF line ends.
func parseMSITable(name, text string) (msiTable, error) {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	if len(lines) < 3 {
		return msiTable{}, &os.PathError{Op: "parse", Path: name, Err: os.ErrInvalid}
	}
	t := msiTable{name: name, columns: strings.Split(lines[0], "\t")}
	for _, line := range lines[3:] {
		if line == "" {
			continue
		}
		fields := strings.Split(line, "\t")
		row := map[string]string{}
		for i, c := range t.columns {
			if i < len(fields) {
				row[c] = fields[i]
			}
		}
		t.rows = append(t.rows, row)
	}
	return t, nil
}

func TestParseMSITable(t *testing.T) {
	text := "File\tComponent_\tFileName\r\ns72\ts72\tl255\r\nFile\tFile\r\nwgdesk.exe\tExe\twgdesk.exe\r\nwintun.dll\tWintun\r\n"
	tab, err := parseMSITable("File", text)
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.rows) != 2 || tab.rows[0]["Component_"] != "Exe" || tab.rows[1]["File"] != "wintun.dll" || tab.rows[1]["FileName"] != "" {
		t.Errorf("rows %v", tab.rows)
	}
}

// msiUnderTest is $WGDESK_MSI (make windows sets it to the release MSI),
// or else the MSI built from wgdesk.wxs into a temporary directory with
// stand-ins for the exe and wintun.dll: that needs neither the MinGW build
// nor the Wintun download, and the test checks the package's layout, not
// its payload. The stand-ins never leave t.TempDir().
func msiUnderTest(t *testing.T) string {
	t.Helper()
	tools := []string{"msiinfo"}
	msi := os.Getenv("WGDESK_MSI")
	if msi == "" {
		tools = append(tools, "wixl")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (Debian packages wixl and msitools; make test-windows-package installs them)", tool)
		}
	}
	if msi != "" {
		return msi
	}
	dir := t.TempDir()
	exe := filepath.Join(dir, "wgdesk.exe")
	dll := filepath.Join(dir, "wintun.dll")
	if err := os.WriteFile(exe, []byte("MZ test stand-in for wgdesk.exe, not a program\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dll, []byte("test stand-in for wintun.dll, not a library\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "wgdesk.ico"), []byte("test stand-in for wgdesk.ico\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	wxs, err := filepath.Abs("wgdesk.wxs")
	if err != nil {
		t.Fatal(err)
	}
	msi = filepath.Join(dir, "wgdesk.msi")
	// wixl resolves sources relative to its working directory only
	// (absolute paths fail), as make windows runs it too.
	cmd := exec.Command("wixl", "-a", "x64", "-D", "Version="+appVersion(t), "-D", "ExeSource=wgdesk.exe", "-D", "WintunSource=wintun.dll", "-D", "IconSource=wgdesk.ico",
		"-o", msi, wxs)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("wixl: %v\n%s", err, out)
	}
	return msi
}

func exportTable(t *testing.T, msi, name string) msiTable {
	t.Helper()
	out, err := exec.Command("msiinfo", "export", msi, name).Output()
	if err != nil {
		t.Fatalf("msiinfo export %s: %v", name, err)
	}
	tab, err := parseMSITable(name, string(out))
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// TestMSITables checks the tables of the MSI that wgdesk.wxs makes:
// where the files go, the service as osservice.NewPlan describes it, its
// start on install and its stop and removal on uninstall, the Start menu
// entry, the app at login and what makes upgrades work.
func TestMSITables(t *testing.T) {
	msi := msiUnderTest(t)
	tables := map[string]msiTable{}
	for _, name := range []string{"File", "Component", "Directory", "Shortcut", "ServiceInstall", "ServiceControl",
		"Registry", "Upgrade", "Property", "CustomAction", "InstallExecuteSequence", "LaunchCondition"} {
		tables[name] = exportTable(t, msi, name)
	}
	plan := osservice.NewPlan(`C:\Program Files\wgdesk\wgdesk.exe`)

	t.Run("x64 package", func(t *testing.T) {
		// An x86 template would put wgdesk in Program Files (x86) and its
		// registry values in the 32-bit view, where the service manager
		// and the Run key of 64-bit Windows do not look.
		out, err := exec.Command("msiinfo", "suminfo", msi).Output()
		if err != nil {
			t.Fatalf("msiinfo suminfo: %v", err)
		}
		if !strings.Contains(string(out), "Template: x64;") {
			t.Errorf("summary information has no x64 template:\n%s", out)
		}
	})

	t.Run("files", func(t *testing.T) {
		dir := tables["Directory"].one(t, "Directory", "INSTALLDIR")
		if dir["Directory_Parent"] != "ProgramFiles64Folder" || dir["DefaultDir"] != "wgdesk" {
			t.Errorf("INSTALLDIR %v, want Program Files\\wgdesk (64-bit)", dir)
		}
		for _, name := range []string{"wgdesk.exe", "wintun.dll"} {
			f := tables["File"].one(t, "FileName", name)
			c := tables["Component"].one(t, "Component", f["Component_"])
			if c["Directory_"] != "INSTALLDIR" {
				t.Errorf("%s goes to %s, want INSTALLDIR: wireguard-go loads wintun.dll from the exe's folder", name, c["Directory_"])
			}
			if attrs, _ := strconv.Atoi(c["Attributes"]); attrs&0x100 == 0 {
				t.Errorf("component %s is not 64-bit (attributes %s)", c["Component"], c["Attributes"])
			}
		}
		if n := len(tables["File"].rows); n != 2 {
			t.Errorf("%d files, want the exe and wintun.dll: %v", n, tables["File"].rows)
		}
		// Stored tunnels live under %ProgramData%\wgdesk: the package
		// must own nothing there, or an uninstall or upgrade could
		// remove them.
		if rows := tables["Directory"].where("Directory", "CommonAppDataFolder"); len(rows) > 0 {
			t.Errorf("the package touches %%ProgramData%%: %v", rows)
		}
	})

	t.Run("service", func(t *testing.T) {
		si := tables["ServiceInstall"].one(t, "Name", plan.Name)
		want := map[string]string{
			"ServiceType":  "16", // SERVICE_WIN32_OWN_PROCESS
			"StartType":    "2",  // SERVICE_AUTO_START
			"ErrorControl": "1",  // SERVICE_ERROR_NORMAL
			"StartName":    "LocalSystem",
			"Arguments":    strings.Join(plan.Args, " "),
			"Dependencies": strings.Join(plan.Dependencies, "[~]") + "[~][~]",
			"DisplayName":  plan.DisplayName,
			"Description":  plan.Description,
		}
		if !plan.AutoStart {
			t.Fatal("osservice.NewPlan is no longer automatic start: update the MSI with it")
		}
		for col, v := range want {
			if si[col] != v {
				t.Errorf("ServiceInstall %s = %q, want %q (as osservice.NewPlan)", col, si[col], v)
			}
		}
		exeComponent := tables["File"].one(t, "FileName", "wgdesk.exe")["Component_"]
		if si["Component_"] != exeComponent {
			t.Errorf("the service belongs to component %s, want %s, wgdesk.exe's: the service runs that file", si["Component_"], exeComponent)
		}

		sc := tables["ServiceControl"].one(t, "Name", plan.Name)
		event, err := strconv.Atoi(sc["Event"])
		if err != nil {
			t.Fatalf("ServiceControl Event %q", sc["Event"])
		}
		// msidbServiceControlEvent* bits.
		const (
			startInstall    = 0x1
			stopInstall     = 0x2
			deleteInstall   = 0x8
			startUninstall  = 0x10
			stopUninstall   = 0x20
			deleteUninstall = 0x80
		)
		for _, bit := range []struct {
			mask int
			want bool
			what string
		}{
			{startInstall, true, "start the service on install"},
			{stopInstall, true, "stop the service before its files are replaced"},
			{stopUninstall, true, "stop the service on uninstall (every tunnel goes down)"},
			{deleteUninstall, true, "remove the service on uninstall"},
			{deleteInstall, false, "never remove the service on install"},
			{startUninstall, false, "never start the service on uninstall"},
		} {
			if got := event&bit.mask != 0; got != bit.want {
				t.Errorf("ServiceControl Event %#x: bit %#x is %v; it should %s", event, bit.mask, got, bit.what)
			}
		}
		if sc["Wait"] != "1" || sc["Component_"] != exeComponent {
			t.Errorf("ServiceControl %v: want Wait 1 and component %s", sc, exeComponent)
		}
	})

	t.Run("service settings wixl cannot write", func(t *testing.T) {
		// The service SID, restarts and local group come from
		// `wgdesk service install`, run as LocalSystem (deferred, not
		// impersonated) from the installed exe, after the service is
		// registered and before the installer starts it.
		ca := tables["CustomAction"].one(t, "Action", "ConfigureService")
		typ, _ := strconv.Atoi(ca["Type"])
		const exeFromFile, deferred, noImpersonate = 18, 0x400, 0x800
		if typ&0x3f != exeFromFile || typ&deferred == 0 || typ&noImpersonate == 0 {
			t.Errorf("ConfigureService type %d, want an exe from an installed file (18), deferred (0x400), not impersonated (0x800)", typ)
		}
		if ca["Source"] != "wgdesk.exe" || ca["Target"] != "service install" {
			t.Errorf("ConfigureService runs %q %q, want wgdesk.exe service install", ca["Source"], ca["Target"])
		}
		seq := tables["InstallExecuteSequence"]
		at := func(action string) int {
			n, err := strconv.Atoi(seq.one(t, "Action", action)["Sequence"])
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if c := at("ConfigureService"); c <= at("InstallServices") || c >= at("StartServices") {
			t.Errorf("ConfigureService at %d, want between InstallServices (%d) and StartServices (%d)", c, at("InstallServices"), at("StartServices"))
		}
		if cond := seq.one(t, "Action", "ConfigureService")["Condition"]; cond != `NOT REMOVE~="ALL"` {
			t.Errorf("ConfigureService runs when %q, want on install and repair only", cond)
		}
	})

	t.Run("start menu and login", func(t *testing.T) {
		sc := tables["Shortcut"].one(t, "Directory_", "ProgramMenuFolder")
		if sc["Target"] != "[INSTALLDIR]wgdesk.exe" || sc["Name"] != "wgdesk" || sc["Arguments"] != "" {
			t.Errorf("Start menu shortcut %v, want wgdesk starting [INSTALLDIR]wgdesk.exe with no arguments (the app)", sc)
		}
		run := tables["Registry"].one(t, "Key", `Software\Microsoft\Windows\CurrentVersion\Run`)
		if run["Root"] != "2" || run["Name"] != "wgdesk" || run["Value"] != `"[INSTALLDIR]wgdesk.exe" --hidden` {
			t.Errorf("Run value %v, want HKLM (2) wgdesk = the quoted exe path and --hidden (the app starts in the tray)", run)
		}
	})

	t.Run("event log source", func(t *testing.T) {
		rows := tables["Registry"].where("Key", `SYSTEM\CurrentControlSet\Services\EventLog\Application\`+plan.EventSource)
		got := map[string]string{}
		for _, r := range rows {
			if r["Root"] != "2" {
				t.Errorf("event source value under root %s, want HKLM", r["Root"])
			}
			got[r["Name"]] = r["Value"]
		}
		want := map[string]string{"EventMessageFile": "[System64Folder]EventCreate.exe", "TypesSupported": "#7", "CustomSource": "#1"}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("event source %s = %q, want %q (as eventlog.InstallAsEventCreate)", k, got[k], v)
			}
		}
	})

	t.Run("upgrades", func(t *testing.T) {
		props := map[string]string{}
		for _, r := range tables["Property"].rows {
			props[r["Property"]] = r["Value"]
		}
		if !strings.EqualFold(props["UpgradeCode"], upgradeCode) {
			t.Errorf("UpgradeCode %s, want %s: a new one makes upgrades install side by side", props["UpgradeCode"], upgradeCode)
		}
		if props["ProductVersion"] != appVersion(t) || props["ALLUSERS"] != "1" {
			t.Errorf("ProductVersion %q, ALLUSERS %q: want %s from FyneApp.toml, per machine", props["ProductVersion"], props["ALLUSERS"], appVersion(t))
		}
		var actions []string
		for _, r := range tables["Upgrade"].rows {
			if !strings.EqualFold(r["UpgradeCode"], upgradeCode) {
				t.Errorf("Upgrade row for another product: %v", r)
			}
			actions = append(actions, r["ActionProperty"])
		}
		slices.Sort(actions)
		if !slices.Equal(actions, []string{"WIX_DOWNGRADE_DETECTED", "WIX_UPGRADE_DETECTED"}) {
			t.Errorf("Upgrade rows detect %v, want older versions (to remove) and newer ones (to refuse)", actions)
		}
		tables["InstallExecuteSequence"].one(t, "Action", "RemoveExistingProducts")
		tables["LaunchCondition"].one(t, "Condition", "NOT WIX_DOWNGRADE_DETECTED")
	})
}
