package config

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"

	"golang.org/x/crypto/curve25519"
)

// KeyLen is the length of a WireGuard key in bytes.
const KeyLen = 32

// Key is a Curve25519 private, public or preshared key.
type Key [KeyLen]byte

var strictB64 = base64.StdEncoding.Strict()

// ErrKeyFormat is wrapped by every key parsing error.
var ErrKeyFormat = errors.New("invalid key")

// ParseKey decodes a key in standard base64: exactly 44 characters ending in
// one '=' and canonical trailing bits, as wg(8) writes them.
func ParseKey(s string) (Key, error) {
	var k Key
	if len(s) != 44 {
		return k, fmt.Errorf("%w: %d characters, want 44", ErrKeyFormat, len(s))
	}
	b, err := strictB64.DecodeString(s)
	if err != nil {
		return k, fmt.Errorf("%w: not canonical base64", ErrKeyFormat)
	}
	if len(b) != KeyLen {
		return k, fmt.Errorf("%w: %d bytes, want 32", ErrKeyFormat, len(b))
	}
	copy(k[:], b)
	return k, nil
}

// String gives the key in base64, as wg(8) prints it.
func (k Key) String() string { return base64.StdEncoding.EncodeToString(k[:]) }

// IsZero reports whether the key is all zero bytes (unset).
func (k Key) IsZero() bool { return k == Key{} }

// NewPrivateKey makes a random, clamped Curve25519 private key.
func NewPrivateKey() (Key, error) {
	var k Key
	if _, err := rand.Read(k[:]); err != nil {
		return k, fmt.Errorf("read random bytes: %w", err)
	}
	k.clamp()
	return k, nil
}

// NewPresharedKey makes a random preshared key (no clamping).
func NewPresharedKey() (Key, error) {
	var k Key
	if _, err := rand.Read(k[:]); err != nil {
		return k, fmt.Errorf("read random bytes: %w", err)
	}
	return k, nil
}

func (k *Key) clamp() {
	k[0] &= 248
	k[31] = (k[31] & 127) | 64
}

// PublicKey derives the public key of a private key.
func (k Key) PublicKey() Key {
	var pub Key
	priv := k
	priv.clamp()
	curve25519.ScalarBaseMult((*[32]byte)(&pub), (*[32]byte)(&priv))
	return pub
}
