//go:build linux

package main

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/wgdesk/wgdesk/cli"
	"github.com/wgdesk/wgdesk/internal/manpage"
)

// funcDecl parses a Go file and returns the named top-level function.
func funcDecl(t *testing.T, path, name string) *ast.FuncDecl {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.Name == name && fd.Recv == nil {
			return fd
		}
	}
	t.Fatalf("%s has no func %s", path, name)
	return nil
}

// stringLits are the string literals under n, unquoted.
func stringLits(t *testing.T, n ast.Node) []string {
	var out []string
	ast.Inspect(n, func(n ast.Node) bool {
		if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		return true
	})
	return out
}

// itemTerms are the first words of the page's items, section by section.
func itemTerms(help string) map[string]bool {
	_, sections := manpage.Parse(help)
	terms := map[string]bool{}
	for _, s := range sections {
		for _, it := range s.Items {
			terms[strings.Fields(it.Term)[0]] = true
		}
	}
	return terms
}

// TestAppPageHasEveryVerb takes the verbs main.go's run dispatches on and
// the help text its usage prints, both from the source, and checks that
// wgdesk(1) has an entry for each verb: a verb added to the program but
// not to its help fails here.
func TestAppPageHasEveryVerb(t *testing.T) {
	var help string
	for _, s := range stringLits(t, funcDecl(t, "../../../main.go", "usage")) {
		if strings.HasPrefix(s, "Usage:") {
			help = s
		}
	}
	if help == "" {
		t.Fatal("main.go's usage prints no text that starts with Usage:")
	}
	var verbs []string
	ast.Inspect(funcDecl(t, "../../../main.go", "run"), func(n ast.Node) bool {
		if cc, ok := n.(*ast.CaseClause); ok {
			for _, e := range cc.List {
				if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					v, _ := strconv.Unquote(lit.Value)
					// Flags and help itself are not commands.
					if !strings.HasPrefix(v, "-") && v != "help" {
						verbs = append(verbs, v)
					}
				}
			}
		}
		return true
	})
	if len(verbs) < 5 {
		t.Fatalf("found only %q in run's switch: has main.go changed shape?", verbs)
	}
	page := manpage.Render(AppPage("test", help))
	terms := itemTerms(help)
	for _, v := range verbs {
		if !terms[v] {
			t.Errorf("verb %q of main.go's run is not in its usage, so not in wgdesk(1)", v)
		}
		if !strings.Contains(page, "\n.B "+strings.ReplaceAll(v, "-", `\-`)) {
			t.Errorf("wgdesk(1) has no entry for %q:\n%s", v, page)
		}
	}
}

// TestServicePageHasEveryFlag runs `wgdesk service -h` in process and
// checks that wgdesk-service(8) has an entry for every flag that
// cli.Service defines (read from its source).
func TestServicePageHasEveryFlag(t *testing.T) {
	var help bytes.Buffer
	if code := cli.Service([]string{"-h"}, io.Discard, &help); code != 2 {
		t.Fatalf("wgdesk service -h exited %d, want 2 (flag.ErrHelp)", code)
	}
	var flags []string
	ast.Inspect(funcDecl(t, "../../../cli/service.go", "Service"), func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || !strings.HasSuffix(sel.Sel.Name, "Var") || len(call.Args) < 2 {
			return true
		}
		if lit, ok := call.Args[1].(*ast.BasicLit); ok && lit.Kind == token.STRING {
			name, _ := strconv.Unquote(lit.Value)
			flags = append(flags, name)
		}
		return true
	})
	if len(flags) < 3 {
		t.Fatalf("found only %q in cli.Service: has it changed shape?", flags)
	}
	page := manpage.Render(ServicePage("test", help.String()))
	terms := itemTerms(help.String())
	for _, f := range flags {
		if !terms["-"+f] {
			t.Errorf("flag -%s is not in wgdesk-service(8):\n%s", f, page)
		}
	}
	if !strings.Contains(page, ".SH SYNOPSIS\n.nf\nwgdesk service [flags]\n") {
		t.Errorf("wgdesk-service(8) lacks the synopsis of the help:\n%s", page)
	}
}
