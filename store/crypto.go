package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"sync"
)

// Sealer encrypts personal data at rest (AES-256-GCM) and makes keyed lookup hashes
// (HMAC-SHA256) so that a value can be found without storing it in the clear. Both keys are
// derived from the one configured secret, each with its own label.
type Sealer struct {
	aead     cipher.AEAD
	hashKey  []byte
	tokenKey []byte
	hashes   sync.Pool // of hmac.New(sha256.New, hashKey)
}

// NewSealer derives the encryption and hashing keys from a 32-byte secret.
func NewSealer(secret []byte) (*Sealer, error) {
	if len(secret) != 32 {
		return nil, fmt.Errorf("sealer: secret must be 32 bytes, got %d", len(secret))
	}
	block, err := aes.NewCipher(derive(secret, "kehou/aes-gcm"))
	if err != nil {
		return nil, fmt.Errorf("sealer: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("sealer: %w", err)
	}
	return &Sealer{aead: aead, hashKey: derive(secret, "kehou/lookup-hash"), tokenKey: derive(secret, "kehou/checkin-token")}, nil
}

// TokenKey is the key that signs check-in codes (its own, so a code cannot be made from a
// lookup hash).
func (s *Sealer) TokenKey() []byte { return s.tokenKey }

func derive(secret []byte, label string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(label))
	return m.Sum(nil)
}

// Seal encrypts plaintext with a fresh nonce; aad binds the ciphertext to its field so a value
// copied into another field does not decrypt.
func (s *Sealer) Seal(plaintext, aad string) []byte {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic("sealer: no randomness: " + err.Error())
	}
	return s.aead.Seal(nonce, nonce, []byte(plaintext), []byte(aad))
}

// ErrUnseal means a ciphertext was damaged or sealed with another key.
var ErrUnseal = errors.New("sealer: cannot decrypt")

// Open decrypts what Seal produced with the same aad.
func (s *Sealer) Open(ciphertext []byte, aad string) (string, error) {
	n := s.aead.NonceSize()
	if len(ciphertext) < n {
		return "", ErrUnseal
	}
	pt, err := s.aead.Open(nil, ciphertext[:n], ciphertext[n:], []byte(aad))
	if err != nil {
		return "", ErrUnseal
	}
	return string(pt), nil
}

// Hash is a keyed, deterministic hash of value within a domain (e.g. "child-name"), for lookups
// and comparisons of personal data.
func (s *Sealer) Hash(domain, value string) string {
	// A keyed HMAC is reused (Reset returns it to the keyed state): every survey answer hashes
	// its respondent and receipt, and keying a new one each time was a visible cost.
	m, _ := s.hashes.Get().(hash.Hash)
	if m == nil {
		m = hmac.New(sha256.New, s.hashKey)
	} else {
		m.Reset()
	}
	m.Write([]byte(domain))
	m.Write([]byte{0})
	m.Write([]byte(value))
	var sum [sha256.Size]byte
	out := hex.EncodeToString(m.Sum(sum[:0]))
	s.hashes.Put(m)
	return out
}
