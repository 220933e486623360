package api

import (
	"os/user"
	"slices"
	"strconv"
)

// xuNGroups is XU_NGROUPS in macOS's <sys/ucred.h>: LOCAL_PEERCRED lists at
// most 16 of the caller's groups. An administrator on macOS is often in
// more (staff, admin, everyone, _lpadmin, com.apple.* access groups…), so
// the group wgdesk may be cut off the list.
const xuNGroups = 16

// completeGroups adds the user database's groups of cred.UID when the
// kernel's list is full and so may be cut short; lookup failing leaves the
// kernel's list as it is (the caller is then judged by it, failing closed
// for a group it lacks). The database says what a login now would give
// the user, which is what macOS's own membership checks
// (mbr_check_membership) go by too.
func completeGroups(cred Cred, listed int, lookup func(uid uint32) ([]uint32, error)) Cred {
	if listed < xuNGroups {
		return cred
	}
	more, err := lookup(cred.UID)
	if err != nil {
		return cred
	}
	for _, g := range more {
		if !slices.Contains(cred.Groups, g) {
			cred.Groups = append(cred.Groups, g)
		}
	}
	return cred
}

// userGroups is the user database's list of a user's groups; os/user asks
// the C library's getgrouplist, which has no limit of 16.
func userGroups(uid uint32) ([]uint32, error) {
	u, err := user.LookupId(strconv.FormatUint(uint64(uid), 10))
	if err != nil {
		return nil, err
	}
	ids, err := u.GroupIds()
	if err != nil {
		return nil, err
	}
	var gids []uint32
	for _, s := range ids {
		if g, err := strconv.ParseUint(s, 10, 32); err == nil {
			gids = append(gids, uint32(g))
		}
	}
	return gids, nil
}
