package platform

// The netlink side of the kill switch: nftExprs turns a portable nftRule
// (nftrules_linux.go) into nftables expressions, and nftNetlink puts a
// whole table in place in one netlink batch through
// github.com/google/nftables. No nft binary is needed at run time.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// nftBackend is the seam between linuxNetwork and the kernel's nftables.
type nftBackend interface {
	// replace puts exactly rules in force as table inet <table>, in one
	// transaction: the old table and the new one are swapped atomically,
	// and on failure the old one stays. No rules: the table is deleted
	// (not an error when there is none).
	replace(table string, rules []nftRule) error
}

// nftNetlink is the nftBackend of the real system (or of the network
// namespace netnsFd names, when it is not zero).
type nftNetlink struct {
	netnsFd int
}

func (b nftNetlink) conn() (*nftables.Conn, error) {
	var opts []nftables.ConnOption
	if b.netnsFd != 0 {
		opts = append(opts, nftables.WithNetNSFd(b.netnsFd))
	}
	return nftables.New(opts...)
}

func (b nftNetlink) replace(table string, rules []nftRule) error {
	c, err := b.conn()
	if err != nil {
		return fmt.Errorf("open nftables: %w", err)
	}
	t := &nftables.Table{Name: table, Family: nftables.TableFamilyINet}
	// Adding a table that exists is no error, deleting one that does not
	// is: add, delete, add again is "replace or create" in one batch.
	c.AddTable(t)
	c.DelTable(t)
	if len(rules) > 0 {
		c.AddTable(t)
		chains := map[nftChain]*nftables.Chain{}
		for _, name := range nftChains {
			hook := map[nftChain]*nftables.ChainHook{
				nftInput: nftables.ChainHookInput, nftOutput: nftables.ChainHookOutput, nftForward: nftables.ChainHookForward,
			}[name]
			drop := nftables.ChainPolicyDrop
			chains[name] = c.AddChain(&nftables.Chain{
				Name: string(name), Table: t, Type: nftables.ChainTypeFilter,
				Hooknum: hook, Priority: nftables.ChainPriorityFilter, Policy: &drop,
			})
		}
		for _, r := range rules {
			c.AddRule(&nftables.Rule{Table: t, Chain: chains[r.Chain], Exprs: nftExprs(r)})
		}
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("replace nftables table inet %s: %w", table, err)
	}
	return nil
}

// nftProbe checks that the kernel takes nftables batches: it creates and
// deletes a scratch table in one transaction, which leaves nothing behind.
func nftProbe(b nftNetlink) error {
	c, err := b.conn()
	if err != nil {
		return fmt.Errorf("open nftables: %w", err)
	}
	t := &nftables.Table{Name: nftTableName + "_probe", Family: nftables.TableFamilyINet}
	c.AddTable(t)
	c.DelTable(t)
	if err := c.Flush(); err != nil {
		if errors.Is(err, unix.EPERM) {
			return fmt.Errorf("nftables needs CAP_NET_ADMIN: %w", err)
		}
		return fmt.Errorf("nftables batch: %w", err)
	}
	return nil
}

// nftExprs returns the expressions of r, in the order nft(8) generates
// them for the rule's text (nftRule.expr), so that a table made from the
// text and one made here are the same.
func nftExprs(r nftRule) []expr.Any {
	var e []expr.Any
	cmp := func(data []byte) {
		e = append(e, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: data})
	}
	meta := func(k expr.MetaKey, data []byte) {
		e = append(e, &expr.Meta{Key: k, Register: 1})
		cmp(data)
	}
	ifname := func(name string) []byte {
		b := make([]byte, unix.IFNAMSIZ)
		copy(b, name)
		return b
	}
	if r.IIf != "" {
		meta(expr.MetaKeyIIFNAME, ifname(r.IIf))
	}
	if r.OIf != "" {
		meta(expr.MetaKeyOIFNAME, ifname(r.OIf))
	}
	if r.Mark != 0 {
		meta(expr.MetaKeyMARK, binaryutil.NativeEndian.PutUint32(r.Mark))
	}
	if r.Established {
		e = append(e,
			&expr.Ct{Key: expr.CtKeySTATE, Register: 1},
			&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4,
				Mask: binaryutil.NativeEndian.PutUint32(expr.CtStateBitESTABLISHED | expr.CtStateBitRELATED),
				Xor:  make([]byte, 4)},
			&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: make([]byte, 4)})
	}
	// The network header fields need the family first (nft adds this
	// dependency itself in an inet table, once a rule).
	famDone := false
	addr := func(p netip.Prefix, src bool) {
		off := uint32(16) // ip daddr
		fam := byte(unix.NFPROTO_IPV4)
		switch {
		case p.Addr().Is4() && src:
			off = 12
		case p.Addr().Is6() && src:
			off, fam = 8, unix.NFPROTO_IPV6
		case p.Addr().Is6():
			off, fam = 24, unix.NFPROTO_IPV6
		}
		if !famDone {
			meta(expr.MetaKeyNFPROTO, []byte{fam})
			famDone = true
		}
		n := uint32(p.Addr().BitLen() / 8)
		want := p.Masked().Addr().AsSlice()
		if p.Bits()%8 == 0 {
			// A prefix of whole bytes compares just those bytes.
			n = uint32(p.Bits() / 8)
			want = want[:n]
		}
		e = append(e, &expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: off, Len: n})
		if p.Bits()%8 != 0 {
			e = append(e, &expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: n,
				Mask: prefixMask(p), Xor: make([]byte, n)})
		}
		cmp(want)
	}
	if r.Saddr.IsValid() {
		addr(r.Saddr, true)
	}
	if r.Daddr.IsValid() {
		addr(r.Daddr, false)
	}
	if r.Proto == ipProtoICMPv6Nft && !famDone {
		// icmpv6 implies the family too.
		meta(expr.MetaKeyNFPROTO, []byte{unix.NFPROTO_IPV6})
	}
	if r.Proto != 0 {
		meta(expr.MetaKeyL4PROTO, []byte{r.Proto})
	}
	port := func(off uint32, p uint16) {
		e = append(e, &expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: off, Len: 2})
		cmp(binary.BigEndian.AppendUint16(nil, p))
	}
	switch {
	case r.SPort != 0 && r.DPort != 0:
		// Both ports are one load of four bytes.
		e = append(e, &expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 0, Len: 4})
		cmp(binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(nil, r.SPort), r.DPort))
	case r.SPort != 0:
		port(0, r.SPort)
	case r.DPort != 0:
		port(2, r.DPort)
	}
	if r.Proto == ipProtoICMPv6Nft && r.ICMPType != icmp6NoType {
		e = append(e, &expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 0, Len: 1})
		cmp([]byte{byte(r.ICMPType)})
	}
	v := expr.VerdictDrop
	if r.Accept {
		v = expr.VerdictAccept
	}
	return append(e, &expr.Verdict{Kind: v})
}

// prefixMask returns the netmask of p's length, as many bytes as p's
// address has.
func prefixMask(p netip.Prefix) []byte {
	b := make([]byte, p.Addr().BitLen()/8)
	for i := 0; i < p.Bits(); i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	return b
}
