package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"github.com/wgdesk/wgdesk/tunnel/api/apitest"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func TestParseProcGroups(t *testing.T) {
	b, err := os.ReadFile("testdata/proc-status.txt")
	if err != nil {
		t.Fatal(err)
	}
	groups, err := parseProcGroups(b)
	if err != nil {
		t.Fatal(err)
	}
	if want := []uint32{4, 24, 27, 998, 1000}; !slices.Equal(groups, want) {
		t.Fatalf("groups %v, want %v", groups, want)
	}
	if _, err := parseProcGroups([]byte("Name:\tx\nUid:\t1\n")); err == nil {
		t.Fatal("a status without Groups gave no error")
	}
	if _, err := parseProcGroups([]byte("Groups:\t4 x\n")); err == nil {
		t.Fatal("a bad group id gave no error")
	}
	if g, err := parseProcGroups([]byte("Groups:\t\n")); err != nil || len(g) != 0 {
		t.Fatalf("no groups: %v, %v", g, err)
	}
}

// clientEnv makes the test binary act as a client: it lists tunnels on the
// socket and prints "ok" or the error code.
const clientEnv = "WGDESK_API_TEST_CLIENT"

func TestMain(m *testing.M) {
	if socket := os.Getenv(clientEnv); socket != "" {
		_, err := Dial(socket).List(context.Background())
		switch e := err.(type) {
		case nil:
			fmt.Println("ok")
		case *Error:
			fmt.Println(e.Code, e.Message)
		default:
			fmt.Println("error", err)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// The kernel's word on who calls, for real: a throwaway user in a throwaway
// group is let in, one outside it is refused, with the socket's mode open to
// all so that only SO_PEERCRED and /proc decide.
func TestRealPeerCred(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create throwaway users and run a client as them")
	}
	for _, tool := range []string{"useradd", "userdel", "groupadd", "groupdel"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is missing", tool)
		}
	}
	b := make([]byte, 3)
	rand.Read(b)
	id := hex.EncodeToString(b)
	group, member, stranger := "wgdesk-test-g"+id, "wgdesk-test-m"+id, "wgdesk-test-s"+id
	mustRun(t, "groupadd", "--system", group)
	t.Cleanup(func() { exec.Command("groupdel", group).Run() })
	mustRun(t, "useradd", "--system", "--no-create-home", "-G", group, member)
	t.Cleanup(func() { exec.Command("userdel", member).Run() })
	mustRun(t, "useradd", "--system", "--no-create-home", stranger)
	t.Cleanup(func() { exec.Command("userdel", stranger).Run() })
	gid, err := lookupGroupID(group)
	if err != nil {
		t.Fatal(err)
	}

	ts := startServer(t, apitest.New(), &Access{Group: group})
	os.Chmod(filepath.Dir(filepath.Dir(ts.socket)), 0o755)
	os.Chmod(ts.socket, 0o666)
	bin := copyTestBinary(t)

	runAs := func(name string, groups []uint32) string {
		t.Helper()
		u, err := user.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		ugid, _ := strconv.Atoi(u.Gid)
		cmd := exec.Command(bin, "-test.run=^$")
		cmd.Env = []string{clientEnv + "=" + ts.socket}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(ugid), Groups: groups}}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("client as %s: %v\n%s", name, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if out := runAs(member, []uint32{gid}); out != "ok" {
		t.Fatalf("a member of %s was refused: %s", group, out)
	}
	out := runAs(stranger, nil)
	if !strings.HasPrefix(out, CodePermissionDenied) || !strings.Contains(out, "usermod -aG wgdesk") {
		t.Fatalf("a stranger got %q, want permission_denied with the hint", out)
	}
	// With the socket's own mode in the way, the client says the same.
	os.Chmod(ts.socket, 0o600)
	if out := runAs(stranger, nil); !strings.HasPrefix(out, CodePermissionDenied) || !strings.Contains(out, "usermod -aG wgdesk") {
		t.Fatalf("a stranger facing mode 0600 got %q, want permission_denied with the hint", out)
	}
	u, _ := user.Lookup(stranger)
	if !strings.Contains(ts.log.String(), "uid "+u.Uid+" pid ") {
		t.Fatalf("the refusal does not name the stranger's uid and pid:\n%s", ts.log.String())
	}
}

func mustRun(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// copyTestBinary puts the running test binary where any user may run it.
func copyTestBinary(t *testing.T) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "wgdesk-api-bin-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	src, err := os.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	bin := filepath.Join(dir, "api.test")
	dst, err := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return bin
}
