package tunnel

import "testing"

// The golden GUIDs come from Python's uuid.uuid5 with wgdesk's namespace,
// an implementation independent of this one:
//
//	python3 -c 'import uuid; print(uuid.uuid5(uuid.UUID("88b720bd-e1df-4f3c-8777-a1f441c45840"), "home"))'
func TestAdapterGUIDGolden(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"home", "{554ba2cc-57f0-58d6-b663-cc2981c190b9}"},
		{"Home", "{439e47a9-018a-5264-8d9d-3fd78c3481a1}"},
		{"office", "{333c26dc-d88b-57e7-a572-898d40eb3297}"},
		{"Büro", "{fb32264a-aac4-58e9-bc16-33c24054cfed}"},
		{"wgdesk-home-2", "{f44624ec-dd15-53ac-bccb-2fbf331af979}"},
		{"", "{3a9d5d52-db1a-518d-afcf-a356175ff5ee}"},
	} {
		if got := adapterGUIDFor(tc.name).String(); got != tc.want {
			t.Errorf("%q: got %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestAdapterGUIDVersionAndVariant(t *testing.T) {
	for _, name := range []string{"a", "home", "a much longer tunnel name with spaces"} {
		g := adapterGUIDFor(name)
		if g.Data3>>12 != 5 {
			t.Errorf("%q: version %d, want 5", name, g.Data3>>12)
		}
		if g.Data4[0]>>6 != 0b10 {
			t.Errorf("%q: variant bits %02b, want 10", name, g.Data4[0]>>6)
		}
		if adapterGUIDFor(name) != g {
			t.Errorf("%q: not stable", name)
		}
	}
}
