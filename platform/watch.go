package platform

// What the macOS and Windows watchers must not count as a change of the
// uplink: the tunnel interfaces a Network manages and the endpoints' host
// routes it adds on the uplink. Without this, every Apply would make route
// messages that ask for the next Apply.

import (
	"net/netip"
	"slices"
	"sync"
)

// ownedSet is a Network's own objects, by tunnel interface, for its
// watcher. It has a lock of its own so that the watcher can ask while an
// Apply holds the Network's lock, which it does for as long as it runs its
// commands.
type ownedSet struct {
	mu  sync.Mutex
	ifs map[string]ownedIf
}

// ownedIf is what one tunnel interface owns: its OS identifier where the
// Network knows it (the LUID on Windows; zero on macOS, where the watcher
// asks for names), and the destinations of the host routes it added.
type ownedIf struct {
	id    uint64
	dests []netip.Addr
}

// note records what ifname owns from now on. Apply calls it with
// everything that may exist during the change (the union of before and
// after) before it changes anything, so that the messages its own changes
// cause are already recognised; the next Apply replaces the record.
func (o *ownedSet) note(ifname string, id uint64, dests []netip.Addr) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.ifs == nil {
		o.ifs = map[string]ownedIf{}
	}
	o.ifs[ifname] = ownedIf{id: id, dests: slices.Clone(dests)}
}

// forget drops ifname, once everything it owned is removed.
func (o *ownedSet) forget(ifname string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.ifs, ifname)
}

// hasName reports whether ifname is a tunnel interface of the Network.
func (o *ownedSet) hasName(ifname string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	_, ok := o.ifs[ifname]
	return ok
}

// hasID reports whether id (not zero) is a tunnel interface of the Network.
func (o *ownedSet) hasID(id uint64) bool {
	if id == 0 {
		return false
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, e := range o.ifs {
		if e.id == id {
			return true
		}
	}
	return false
}

// hasDest reports whether a is the destination of a host route the Network
// added.
func (o *ownedSet) hasDest(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	a = a.Unmap().WithZone("")
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, e := range o.ifs {
		if slices.Contains(e.dests, a) {
			return true
		}
	}
	return false
}

// onceNotifier calls changed until stop; after stop returns it never calls
// it again, even from callbacks the OS delivers late (winipcfg runs each
// callback in a goroutine of its own, so one may still be on its way after
// the callback was unregistered).
type onceNotifier struct {
	mu      sync.Mutex
	stopped bool
	changed func()
}

func (n *onceNotifier) notify() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.stopped {
		n.changed()
	}
}

func (n *onceNotifier) stop() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.stopped = true
}
