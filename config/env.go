package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Var describes one environment variable, for documentation and for logging.
type Var struct {
	Env     string
	Default string
	Doc     string
	Secret  bool
	Value   string // current value, masked when Secret
}

// fill sets each field from its environment variable or its default, failing with the
// variable's name when a value does not parse.
func fill(c *Config, getenv func(string) string) error {
	v := reflect.ValueOf(c).Elem()
	t := v.Type()
	var errs []error
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		env := f.Tag.Get("env")
		raw := strings.TrimSpace(getenv(env))
		if raw == "" {
			raw = f.Tag.Get("default")
		}
		if raw == "" {
			continue
		}
		if err := set(v.Field(i), raw); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", env, err))
		}
	}
	return errors.Join(errs...)
}

func set(field reflect.Value, raw string) error {
	switch field.Interface().(type) {
	case string:
		field.SetString(raw)
	case int:
		n, err := strconv.Atoi(raw)
		if err != nil {
			return fmt.Errorf("must be a whole number, got %q", raw)
		}
		field.SetInt(int64(n))
	case bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return fmt.Errorf("must be true or false, got %q", raw)
		}
		field.SetBool(b)
	case time.Duration:
		d, err := time.ParseDuration(raw)
		if err != nil {
			return fmt.Errorf("must be a duration such as 30s, 15m or 12h, got %q", raw)
		}
		field.SetInt(int64(d))
	default:
		return fmt.Errorf("unsupported field type %s", field.Type())
	}
	return nil
}

// Vars lists every variable with its current value; secrets show only whether they are set.
func (c *Config) Vars() []Var {
	v := reflect.ValueOf(c).Elem()
	t := v.Type()
	out := make([]Var, 0, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		value := fmt.Sprint(v.Field(i).Interface())
		secret := f.Tag.Get("secret") == "true"
		if secret {
			value = Mask(value)
		}
		out = append(out, Var{Env: f.Tag.Get("env"), Default: f.Tag.Get("default"), Doc: f.Tag.Get("doc"), Secret: secret, Value: value})
	}
	return out
}

// LogValues returns key/value pairs for slog with secrets masked.
func (c *Config) LogValues() []any {
	var kv []any
	for _, v := range c.Vars() {
		kv = append(kv, v.Env, v.Value)
	}
	return kv
}

// Mask hides a secret while saying whether it is set.
func Mask(s string) string {
	if s == "" {
		return ""
	}
	return "***"
}

// DecodeKey parses a base64 32-byte key.
func DecodeKey(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, errors.New("must be base64 (for example the output of `openssl rand -base64 32`)")
	}
	if len(b) != 32 {
		return nil, fmt.Errorf("must decode to 32 bytes, got %d", len(b))
	}
	return b, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
