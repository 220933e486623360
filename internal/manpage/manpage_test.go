package manpage

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wgdesk/wgdesk/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func TestRenderGolden(t *testing.T) {
	for _, tc := range []struct {
		file    string
		section int
	}{{"verbs", 1}, {"flags", 8}} {
		t.Run(tc.file, func(t *testing.T) {
			help, err := os.ReadFile(filepath.Join("testdata", tc.file+".txt"))
			if err != nil {
				t.Fatal(err)
			}
			got := Render(Page{
				Name: "demo", Section: tc.section, Manual: "Demo Manual", Source: "demo 1.0",
				Summary: "a demo", Intro: []string{"Demo does one thing."}, Help: string(help),
				Extra: []Section{{Title: "FILES", Items: []Item{{"/run/demo.sock", "the socket"}}}},
			})
			golden.Check(t, filepath.Join("testdata", tc.file+".golden"), got, *update)
		})
	}
}

func TestParseItems(t *testing.T) {
	help, err := os.ReadFile(filepath.Join("testdata", "verbs.txt"))
	if err != nil {
		t.Fatal(err)
	}
	synopsis, sections := Parse(string(help))
	if len(synopsis) != 1 || synopsis[0] != "demo [command] [arguments]" {
		t.Errorf("synopsis = %q", synopsis)
	}
	var cmds *Section
	for i := range sections {
		if sections[i].Title == "COMMANDS" {
			cmds = &sections[i]
		}
	}
	if cmds == nil {
		t.Fatalf("no COMMANDS section in %+v", sections)
	}
	want := []Item{
		{"list", "list things"},
		{"set NAME a=on|off b=on|off", "change a thing's a and b"},
		{".hidden", "a term that starts with a dot"},
	}
	if len(cmds.Items) != len(want) {
		t.Fatalf("items = %+v, want %+v", cmds.Items, want)
	}
	for i := range want {
		if cmds.Items[i] != want[i] {
			t.Errorf("item %d = %+v, want %+v", i, cmds.Items[i], want[i])
		}
	}
	if len(cmds.Notes) != 1 || !strings.Contains(cmds.Notes[0], "--socket") {
		t.Errorf("the paragraph after the commands is lost: %q", cmds.Notes)
	}
}

func TestEscapeLineStart(t *testing.T) {
	if got := escape(".x\n'y\nz-w \\"); got != "\\&.x\n\\&'y\nz\\-w \\e" {
		t.Errorf("escape = %q", got)
	}
}
