// Package models holds kehou's domain types and the pure rules over them: validation, scope,
// masking, roster parsing. It imports nothing of ours and touches no database or network, so
// every rule here is tested with plain values.
package models
