package api

import (
	"errors"
	"os"
	"slices"
	"testing"
)

// A full list from the kernel is completed from the user database; a
// shorter one is complete already, and a failing lookup keeps the kernel's.
func TestCompleteGroups(t *testing.T) {
	full := Cred{UID: 501, GID: 20}
	for g := range uint32(xuNGroups) {
		full.Groups = append(full.Groups, 20+g)
	}
	wgdesk := uint32(701)
	lookups := 0
	lookup := func(uid uint32) ([]uint32, error) {
		lookups++
		if uid != 501 {
			t.Errorf("looked up uid %d", uid)
		}
		return append([]uint32{20, 21}, wgdesk), nil
	}
	got := completeGroups(full, xuNGroups, lookup)
	if !slices.Contains(got.Groups, wgdesk) || len(got.Groups) != xuNGroups+1 {
		t.Errorf("completed groups %v", got.Groups)
	}
	short := Cred{UID: 501, GID: 20, Groups: []uint32{20, 12}}
	if got := completeGroups(short, 2, lookup); !slices.Equal(got.Groups, short.Groups) || lookups != 1 {
		t.Errorf("a short list changed: %v, %d lookups", got.Groups, lookups)
	}
	fail := func(uint32) ([]uint32, error) { return nil, errors.New("no such user") }
	if got := completeGroups(full, xuNGroups, fail); !slices.Equal(got.Groups, full.Groups) {
		t.Errorf("a failed lookup changed the list: %v", got.Groups)
	}
}

// The real user database knows this process's user and its primary group.
func TestUserGroups(t *testing.T) {
	gids, err := userGroups(uint32(os.Getuid()))
	if err != nil {
		t.Skipf("no user database entry: %v", err)
	}
	if !slices.Contains(gids, uint32(os.Getgid())) {
		t.Errorf("groups %v lack the primary group %d", gids, os.Getgid())
	}
}
