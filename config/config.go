// Package config owns kehou's one configuration struct: every setting comes from a KEHOU_*
// environment variable, is parsed once in main, checked by Validate, and printed with secrets
// masked.
package config

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// Environments.
const (
	EnvDevelopment = "development"
	EnvProduction  = "production"
)

// Config is everything kehou can be told. Field tags name the environment variable; Load fills
// the struct from them, and Describe lists them for the README and for logging.
type Config struct {
	Env      string `env:"KEHOU_ENV" default:"development" doc:"development or production; production refuses sandbox WeChat/SMS and the embedded stand-ins"`
	HTTPAddr string `env:"KEHOU_HTTP_ADDR" default:":8080" doc:"HTTP listen address"`
	// /metrics is not for anyone who can reach the API: it is served on its own listener, or to
	// a scraper presenting the token, or both.
	MetricsAddr  string `env:"KEHOU_METRICS_ADDR" doc:"listen address of a separate listener serving /metrics to anyone who reaches it (keep it on the internal network, e.g. :9090); empty: no such listener"`
	MetricsToken string `env:"KEHOU_METRICS_TOKEN" secret:"true" doc:"bearer token that /metrics on KEHOU_HTTP_ADDR requires (Authorization: Bearer <token>); empty: /metrics is not served on KEHOU_HTTP_ADDR"`
	DataDir      string `env:"KEHOU_DATA_DIR" default:"./data" doc:"data directory for the embedded stand-ins and the generated secret key"`
	TrustProxy   bool   `env:"KEHOU_TRUST_PROXY" default:"false" doc:"take the client IP from X-Forwarded-For (only behind a proxy that sets it)"`
	LogLevel     string `env:"KEHOU_LOG_LEVEL" default:"info" doc:"debug, info, warn or error"`

	MongoURI      string `env:"KEHOU_MONGO_URI" secret:"true" doc:"MongoDB URI (a replica set in production); empty starts the embedded FerretDB"`
	MongoDB       string `env:"KEHOU_MONGO_DB" default:"kehou" doc:"MongoDB database name"`
	RedisAddr     string `env:"KEHOU_REDIS_ADDR" doc:"Redis host:port; empty starts the embedded miniredis"`
	RedisPassword string `env:"KEHOU_REDIS_PASSWORD" secret:"true" doc:"Redis password"`
	RedisDB       int    `env:"KEHOU_REDIS_DB" default:"0" doc:"Redis database number"`

	SecretKey     string `env:"KEHOU_SECRET_KEY" secret:"true" doc:"base64 of 32 random bytes: encrypts personal data at rest and keys lookup hashes; required in production, generated into the data directory otherwise"`
	AdminPassword string `env:"KEHOU_ADMIN_PASSWORD" secret:"true" doc:"password of the city administrator 'admin' created on first start (at least 10 characters with letters and digits, or the start fails); generated and printed once when empty"`

	WechatAppID  string `env:"KEHOU_WECHAT_APPID" doc:"mini-program AppID; empty together with the secret means sandbox mode"`
	WechatSecret string `env:"KEHOU_WECHAT_SECRET" secret:"true" doc:"mini-program AppSecret"`

	WxTemplates string `env:"KEHOU_WX_TEMPLATES" doc:"subscribe-message templates per notice kind, JSON: {\"general\":{\"template_id\":\"…\",\"page\":\"pages/notice/detail\",\"fields\":{\"thing1\":\"title\",\"thing2\":\"school\",\"time3\":\"date\"},\"long_term\":false}}; sandbox mode has built-in ones"`

	SMSEndpoint  string        `env:"KEHOU_SMS_ENDPOINT" default:"https://sms.tencentcloudapi.com" doc:"Tencent Cloud SMS API endpoint"`
	SMSRegion    string        `env:"KEHOU_SMS_REGION" default:"ap-guangzhou" doc:"Tencent Cloud SMS region"`
	SMSSecretID  string        `env:"KEHOU_SMS_SECRET_ID" doc:"Tencent Cloud SecretId; empty means sandbox SMS (messages go to the outbox)"`
	SMSSecretKey string        `env:"KEHOU_SMS_SECRET_KEY" secret:"true" doc:"Tencent Cloud SecretKey"`
	SMSAppID     string        `env:"KEHOU_SMS_SDK_APP_ID" doc:"SMS SdkAppId"`
	SMSSignName  string        `env:"KEHOU_SMS_SIGN_NAME" doc:"approved SMS signature (签名)"`
	SMSTemplates string        `env:"KEHOU_SMS_TEMPLATES" doc:"SMS templates per notice kind, JSON: {\"general\":{\"template_id\":\"123456\",\"params\":[\"school\",\"title\"]}}; sandbox mode has built-in ones"`
	SMSInterval  time.Duration `env:"KEHOU_SMS_PER_NUMBER_INTERVAL" default:"30s" doc:"at most one SMS per number in this interval; later ones wait in the queue"`
	SMSDaily     int           `env:"KEHOU_SMS_PER_NUMBER_DAILY" default:"10" doc:"at most this many SMS per number per day (Asia/Shanghai); later ones wait for the next day"`
	RobotPerMin  int           `env:"KEHOU_ROBOT_PER_MINUTE" default:"20" doc:"messages per minute per WeCom/DingTalk robot; more wait in the queue"`

	SurveyRemindBefore time.Duration `env:"KEHOU_SURVEY_REMIND_BEFORE" default:"48h" doc:"how long before a survey closes the families who have not answered are reminded (once)"`

	MemberSessionTTL time.Duration `env:"KEHOU_MEMBER_SESSION_TTL" default:"720h" doc:"lifetime of a mini-program session token"`
	StaffSessionTTL  time.Duration `env:"KEHOU_STAFF_SESSION_TTL" default:"12h" doc:"lifetime of a staff session token"`
	LoginMaxFailures int           `env:"KEHOU_LOGIN_MAX_FAILURES" default:"5" doc:"failed staff logins in a row before the account is locked"`
	LoginLockout     time.Duration `env:"KEHOU_LOGIN_LOCKOUT" default:"15m" doc:"how long a locked staff account stays locked"`
	RateIPPerMinute  int           `env:"KEHOU_RATE_IP_PER_MINUTE" default:"3000" doc:"API requests per minute allowed from one IP address (high, because many parents share a carrier's NAT address)"`
	RateMemberPerMin int           `env:"KEHOU_RATE_MEMBER_PER_MINUTE" default:"120" doc:"requests per minute allowed for one signed-in member or staff account"`
	RateLoginPerMin  int           `env:"KEHOU_RATE_LOGIN_PER_MINUTE" default:"20" doc:"staff login attempts per minute allowed from one IP address"`
	// The queue monitor (asynqmon at /admin/queues, city staff only) shows the queues; it may
	// also delete, archive or run tasks, and a deleted notice delivery is a lost message, so it
	// only looks unless an operator who means it turns this off.
	QueuesReadOnly bool `env:"KEHOU_QUEUES_READ_ONLY" default:"true" doc:"the queue monitor at /admin/queues only shows tasks; false lets city staff also run, archive and delete them"`

	WorkerConcurrency int           `env:"KEHOU_WORKER_CONCURRENCY" default:"10" doc:"asynq worker goroutines per process"`
	ShutdownTimeout   time.Duration `env:"KEHOU_SHUTDOWN_TIMEOUT" default:"20s" doc:"how long in-flight requests and tasks get to finish on shutdown"`
	Seed              bool          `env:"KEHOU_SEED" default:"true" doc:"in sandbox mode, load the demo city when the database is empty"`
	DemoPassword      string        `env:"KEHOU_DEMO_PASSWORD" default:"kehou-demo-2026" secret:"true" doc:"password given to the demo city's county and school admins by seeding"`
}

// Load reads the environment through getenv (os.Getenv when nil) and validates the result.
func Load(getenv func(string) string) (*Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	c := &Config{}
	if err := fill(c, getenv); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// Embedded reports whether the embedded stand-ins are needed (for MongoDB, Redis or both).
func (c *Config) Embedded() bool { return c.MongoURI == "" || c.RedisAddr == "" }

// Sandbox reports whether WeChat runs against the in-process fake.
func (c *Config) Sandbox() bool { return c.WechatAppID == "" && c.WechatSecret == "" }

// SandboxSMS reports whether SMS goes to the outbox.
func (c *Config) SandboxSMS() bool { return c.SMSSecretID == "" }

// Production reports whether KEHOU_ENV=production.
func (c *Config) Production() bool { return c.Env == EnvProduction }

// Validate checks every value and names the variable at fault.
func (c *Config) Validate() error {
	var errs []error
	bad := func(env, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", env, fmt.Sprintf(format, args...)))
	}
	if c.Env != EnvDevelopment && c.Env != EnvProduction {
		bad("KEHOU_ENV", "must be %q or %q, got %q", EnvDevelopment, EnvProduction, c.Env)
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
	default:
		bad("KEHOU_LOG_LEVEL", "must be debug, info, warn or error, got %q", c.LogLevel)
	}
	if c.HTTPAddr == "" || !strings.Contains(c.HTTPAddr, ":") {
		bad("KEHOU_HTTP_ADDR", "must look like host:port or :port, got %q", c.HTTPAddr)
	}
	if c.MetricsAddr != "" && (!strings.Contains(c.MetricsAddr, ":") || c.MetricsAddr == c.HTTPAddr) {
		bad("KEHOU_METRICS_ADDR", "must look like host:port or :port and differ from KEHOU_HTTP_ADDR, got %q", c.MetricsAddr)
	}
	if c.MetricsToken != "" && len(c.MetricsToken) < 16 {
		bad("KEHOU_METRICS_TOKEN", "must be at least 16 characters")
	}
	if (c.WechatAppID == "") != (c.WechatSecret == "") {
		bad("KEHOU_WECHAT_APPID", "KEHOU_WECHAT_APPID and KEHOU_WECHAT_SECRET must be set together")
	}
	if c.Production() {
		if c.Sandbox() {
			bad("KEHOU_WECHAT_APPID", "sandbox WeChat is refused when KEHOU_ENV=production")
		}
		if c.MongoURI == "" {
			bad("KEHOU_MONGO_URI", "the embedded MongoDB stand-in is refused when KEHOU_ENV=production")
		}
		if c.SMSSecretID == "" {
			bad("KEHOU_SMS_SECRET_ID", "sandbox SMS is refused when KEHOU_ENV=production")
		}
		if c.RedisAddr == "" {
			bad("KEHOU_REDIS_ADDR", "the embedded Redis stand-in is refused when KEHOU_ENV=production")
		}
		if c.SecretKey == "" {
			bad("KEHOU_SECRET_KEY", "required when KEHOU_ENV=production")
		}
	}
	if c.SMSSecretID != "" && (c.SMSSecretKey == "" || c.SMSAppID == "" || c.SMSSignName == "") {
		bad("KEHOU_SMS_SECRET_ID", "KEHOU_SMS_SECRET_KEY, KEHOU_SMS_SDK_APP_ID and KEHOU_SMS_SIGN_NAME are needed with it")
	}
	if _, err := c.Templates(); err != nil {
		bad("KEHOU_WX_TEMPLATES", "%v", err)
	}
	if _, err := c.SMSTemplateSet(); err != nil {
		bad("KEHOU_SMS_TEMPLATES", "%v", err)
	}
	if c.SecretKey != "" {
		if _, err := DecodeKey(c.SecretKey); err != nil {
			bad("KEHOU_SECRET_KEY", "%v", err)
		}
	}
	// The full staff password rule (letters and digits) lives in models, which config may not
	// import: cmd/kehou checks it at start (checkPasswords).
	if c.AdminPassword != "" && len([]rune(c.AdminPassword)) < 10 {
		bad("KEHOU_ADMIN_PASSWORD", "must be at least 10 characters")
	}
	positive := map[string]int{
		"KEHOU_LOGIN_MAX_FAILURES":     c.LoginMaxFailures,
		"KEHOU_RATE_IP_PER_MINUTE":     c.RateIPPerMinute,
		"KEHOU_RATE_MEMBER_PER_MINUTE": c.RateMemberPerMin,
		"KEHOU_RATE_LOGIN_PER_MINUTE":  c.RateLoginPerMin,
		"KEHOU_WORKER_CONCURRENCY":     c.WorkerConcurrency,
		"KEHOU_SMS_PER_NUMBER_DAILY":   c.SMSDaily,
		"KEHOU_ROBOT_PER_MINUTE":       c.RobotPerMin,
	}
	for _, env := range sortedKeys(positive) {
		if positive[env] <= 0 {
			bad(env, "must be a positive number, got %d", positive[env])
		}
	}
	durations := map[string]time.Duration{
		"KEHOU_MEMBER_SESSION_TTL":      c.MemberSessionTTL,
		"KEHOU_STAFF_SESSION_TTL":       c.StaffSessionTTL,
		"KEHOU_LOGIN_LOCKOUT":           c.LoginLockout,
		"KEHOU_SHUTDOWN_TIMEOUT":        c.ShutdownTimeout,
		"KEHOU_SMS_PER_NUMBER_INTERVAL": c.SMSInterval,
		"KEHOU_SURVEY_REMIND_BEFORE":    c.SurveyRemindBefore,
	}
	for _, env := range sortedKeys(durations) {
		if durations[env] <= 0 {
			bad(env, "must be a positive duration such as 15m, got %s", durations[env])
		}
	}
	if c.RedisDB < 0 || c.RedisDB > 15 {
		bad("KEHOU_REDIS_DB", "must be between 0 and 15, got %d", c.RedisDB)
	}
	return errors.Join(errs...)
}
