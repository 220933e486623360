package doctor

import (
	"crypto/rand"
	"encoding/binary"
)

// rootNSQuery is a DNS query for the NS records of the root ("." NS),
// with recursion desired, and its id. Any resolver can answer it without
// knowing local names.
func rootNSQuery() ([]byte, uint16) {
	var idb [2]byte
	rand.Read(idb[:])
	id := binary.BigEndian.Uint16(idb[:])
	q := make([]byte, 12, 17)
	binary.BigEndian.PutUint16(q[0:], id)
	binary.BigEndian.PutUint16(q[2:], 0x0100) // recursion desired
	binary.BigEndian.PutUint16(q[4:], 1)      // one question
	q = append(q, 0, 0, 2, 0, 1)              // ".", type NS, class IN
	return q, id
}

// parseReply reads the RCODE of a reply to the query with id; false for
// anything else (a stray packet, a query).
func parseReply(b []byte, id uint16) (rcode int, ok bool) {
	if len(b) < 12 || binary.BigEndian.Uint16(b) != id || b[2]&0x80 == 0 {
		return 0, false
	}
	return int(b[3] & 0x0f), true
}
