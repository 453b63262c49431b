package models

import (
	"fmt"

	"github.com/alexedwards/argon2id"
)

// passwordParams are argon2id's RFC 9106 second recommendation scaled to a 2-core server:
// 64 MiB and 2 passes take about 60 ms, which login rate limits make affordable.
var passwordParams = &argon2id.Params{Memory: 64 * 1024, Iterations: 2, Parallelism: 2, SaltLength: 16, KeyLength: 32}

// HashPassword returns an argon2id PHC string.
func HashPassword(password string) (string, error) {
	h, err := argon2id.CreateHash(password, passwordParams)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return h, nil
}

// CheckPassword compares in constant time; a malformed hash counts as a mismatch.
func CheckPassword(password, hash string) bool {
	ok, err := argon2id.ComparePasswordAndHash(password, hash)
	return err == nil && ok
}
