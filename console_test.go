package main

import "testing"

func TestPlanConsole(t *testing.T) {
	none := [3]bool{}
	all := [3]bool{true, true, true}
	for _, tc := range []struct {
		name  string
		args  []string
		valid [3]bool
		want  consolePlan
	}{
		{"the app from a shortcut", nil, none, consolePlan{}},
		{"the app with its socket", []string{"--socket", `\\.\pipe\x`}, none, consolePlan{}},
		{"the app with --socket=", []string{"--socket=x"}, none, consolePlan{}},
		{"a command typed in a console", []string{"list"}, none, consolePlan{attach: true, rebind: [3]bool{true, true, true}}},
		{"output redirected to a file", []string{"list"}, [3]bool{false, true, false}, consolePlan{attach: true, rebind: [3]bool{true, false, true}}},
		{"everything redirected", []string{"status", "--json"}, all, consolePlan{attach: true}},
		{"the service under the service manager", []string{"service"}, none, consolePlan{attach: true, rebind: [3]bool{true, true, true}}},
		{"an unknown verb still prints its error", []string{"frobnicate"}, none, consolePlan{attach: true, rebind: [3]bool{true, true, true}}},
	} {
		if got := planConsole(tc.args, tc.valid); got != tc.want {
			t.Errorf("%s: planConsole(%q, %v) = %+v, want %+v", tc.name, tc.args, tc.valid, got, tc.want)
		}
	}
}
