package platform

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
)

// naiveAppendMissing and naiveNotIn are the plain definitions the set
// versions must agree with, order and duplicates included.
func naiveAppendMissing(dst, src []int) []int {
	for _, v := range src {
		if !slices.Contains(dst, v) {
			dst = append(dst, v)
		}
	}
	return dst
}

func naiveNotIn(have, want []int) []int {
	var out []int
	for _, v := range have {
		if !slices.Contains(want, v) {
			out = append(out, v)
		}
	}
	return out
}

func TestSetHelpersAgreeWithDefinitions(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	list := func() []int {
		n := r.IntN(12)
		var l []int
		for range n {
			l = append(l, r.IntN(10)) // small range: duplicates and overlaps
		}
		return l
	}
	for i := range 2000 {
		a, b := list(), list()
		if got, want := appendMissing(slices.Clone(a), b), naiveAppendMissing(slices.Clone(a), b); !slices.Equal(got, want) {
			t.Fatalf("case %d: appendMissing(%v, %v) = %v, want %v", i, a, b, got, want)
		}
		if got, want := notIn(a, b), naiveNotIn(a, b); !slices.Equal(got, want) {
			t.Fatalf("case %d: notIn(%v, %v) = %v, want %v", i, a, b, got, want)
		}
	}
}

// TestUnionOfManyRoutes is the journal's union of an empty entry and a
// plan of 10,000 routes (a country list): every route once, in the plan's
// order.
func TestUnionOfManyRoutes(t *testing.T) {
	p := Plan{Interface: "wg0", Routes: manyRoutes(10000)}
	u := (&journalEntry{Interface: "wg0"}).union(p)
	if !slices.Equal(u.Routes, p.Routes) {
		t.Fatalf("union has %d routes, want the plan's %d in order", len(u.Routes), len(p.Routes))
	}
	if left := routesNotIn(u.Routes, p.Routes[1:]); !slices.Equal(left, p.Routes[:1]) {
		t.Fatalf("routesNotIn = %v, want %v", left, p.Routes[:1])
	}
}

func manyRoutes(n int) []Route {
	rs := make([]Route, n)
	for i := range rs {
		rs[i] = Route{Prefix: netip.MustParsePrefix(fmt.Sprintf("10.%d.%d.0/24", 78+i/256, i%256)), Table: MainTable}
	}
	return rs
}

func BenchmarkUnion10000Routes(b *testing.B) {
	p := Plan{Interface: "wg0", Routes: manyRoutes(10000)}
	for b.Loop() {
		(&journalEntry{Interface: "wg0"}).union(p)
	}
}
