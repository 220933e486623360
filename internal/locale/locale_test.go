package locale

import "testing"

func TestQuietC(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want bool
	}{
		{map[string]string{"LANG": "C.UTF-8"}, true},
		{map[string]string{"LANG": "POSIX.UTF-8"}, true},
		{map[string]string{"LC_ALL": "C.utf8", "LANG": "de_DE.UTF-8"}, true},
		{map[string]string{"LC_MESSAGES": "C.UTF-8@euro"}, true},
		{map[string]string{"LANG": "C"}, false},     // Fyne copes with plain C
		{map[string]string{"LANG": "POSIX"}, false}, // and POSIX
		{map[string]string{}, false},
		{map[string]string{"LANG": "de_DE.UTF-8"}, false},
		{map[string]string{"LC_ALL": "de_DE.UTF-8", "LANG": "C.UTF-8"}, false}, // LC_ALL wins
		{map[string]string{"LANG": "C.UTF-8", "LANGUAGE": "fr"}, false},        // the user's choice stays
	} {
		env := map[string]string{}
		for k, v := range c.env {
			env[k] = v
		}
		got := QuietC(func(k string) string { return env[k] }, func(k, v string) error {
			env[k] = v
			return nil
		})
		if got != c.want {
			t.Errorf("%v: QuietC = %v, want %v", c.env, got, c.want)
		}
		if want := c.want || c.env["LANGUAGE"] != ""; (env["LANGUAGE"] != "") != want {
			t.Errorf("%v: LANGUAGE = %q after QuietC", c.env, env["LANGUAGE"])
		}
		if c.want && env["LANGUAGE"] != "en" {
			t.Errorf("%v: LANGUAGE = %q, want en", c.env, env["LANGUAGE"])
		}
	}
}
