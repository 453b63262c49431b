package config

import (
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.HTTPAddr != ":8080" || c.DataDir != "./data" || c.StaffSessionTTL != 12*time.Hour {
		t.Fatalf("defaults not applied: %+v", c)
	}
	if !c.Embedded() || !c.Sandbox() {
		t.Fatalf("empty environment must mean embedded sandbox mode")
	}
}

func TestLoadRejectsBadValuesNamingTheVariable(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"bad duration", map[string]string{"KEHOU_LOGIN_LOCKOUT": "soon"}, "KEHOU_LOGIN_LOCKOUT"},
		{"bad int", map[string]string{"KEHOU_WORKER_CONCURRENCY": "ten"}, "KEHOU_WORKER_CONCURRENCY"},
		{"zero int", map[string]string{"KEHOU_RATE_IP_PER_MINUTE": "0"}, "KEHOU_RATE_IP_PER_MINUTE"},
		{"bad env", map[string]string{"KEHOU_ENV": "prod"}, "KEHOU_ENV"},
		{"short key", map[string]string{"KEHOU_SECRET_KEY": "c2hvcnQ="}, "KEHOU_SECRET_KEY"},
		{"half wechat", map[string]string{"KEHOU_WECHAT_APPID": "wx1"}, "KEHOU_WECHAT_APPID"},
		{"production sandbox", map[string]string{"KEHOU_ENV": "production", "KEHOU_MONGO_URI": "mongodb://x", "KEHOU_REDIS_ADDR": "x:6379", "KEHOU_SECRET_KEY": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}, "sandbox WeChat is refused"},
		{"production embedded", map[string]string{"KEHOU_ENV": "production", "KEHOU_WECHAT_APPID": "wx", "KEHOU_WECHAT_SECRET": "s"}, "KEHOU_MONGO_URI"},
		{"short admin password", map[string]string{"KEHOU_ADMIN_PASSWORD": "abc"}, "KEHOU_ADMIN_PASSWORD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(env(tt.env))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load error = %v, want mention of %q", err, tt.want)
			}
		})
	}
}

func TestSecretsMaskedInLogValues(t *testing.T) {
	c, err := Load(env(map[string]string{"KEHOU_ADMIN_PASSWORD": "correct horse battery 9", "KEHOU_MONGO_URI": "mongodb://u:pw@db/"}))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range c.LogValues() {
		s, _ := v.(string)
		if strings.Contains(s, "horse") || strings.Contains(s, "pw@") {
			t.Fatalf("secret leaked in log values: %q", s)
		}
	}
}
