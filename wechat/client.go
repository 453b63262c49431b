// Package wechat is kehou's thin layer over github.com/silenceper/wechat/v2 for the
// mini-program: login (code2session), phone numbers, and an access-token cache in Redis that
// every process shares.
//
// Only sub-packages of silenceper/wechat are imported: the root package's init() resets the
// global logrus logger. Errors leaving this package are sanitised: they never carry the app
// secret, access tokens, login codes or session keys, and Retryable tells callers (asynq
// handlers) whether trying again can help.
package wechat

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/silenceper/wechat/v2/cache"
	"github.com/silenceper/wechat/v2/credential"
	"github.com/silenceper/wechat/v2/miniprogram"
	"github.com/silenceper/wechat/v2/miniprogram/config"
	"github.com/silenceper/wechat/v2/util"
)

// Config configures a Client.
type Config struct {
	AppID, Secret string

	// HTTPClient, when non-nil, is installed as util.DefaultHTTPClient. That variable is global
	// to the silenceper library, so the last New wins for every Client in the process: set it
	// once at startup (for example to wxfake's client in sandbox mode), not per request.
	HTTPClient *http.Client

	// Cache holds the access token. Use a RedisCache so that all processes share one token:
	// fetching a token invalidates the previous one, so with a RedisCache the processes also
	// take turns fetching (a Redis lock). Nil means an in-process cache, which is only correct
	// when a single process talks to WeChat.
	Cache cache.Cache
}

// Client calls the WeChat mini-program APIs. It is safe for concurrent use.
type Client struct {
	mp       *miniprogram.MiniProgram
	cache    cache.Cache
	tokenKey string
}

// New returns a Client for the mini-program cfg.AppID. It fails when AppID or Secret is empty.
func New(cfg Config) (*Client, error) {
	if cfg.AppID == "" || cfg.Secret == "" {
		return nil, errors.New("wechat: AppID and Secret are required")
	}
	if cfg.HTTPClient != nil {
		util.DefaultHTTPClient = cfg.HTTPClient
	}
	c := cfg.Cache
	if c == nil {
		c = newMemoryCache()
	}
	// The same key silenceper's DefaultAccessToken uses, so either can read the other's token.
	key := fmt.Sprintf("%s_access_token_%s", credential.CacheKeyMiniProgramPrefix, cfg.AppID)
	mp := miniprogram.NewMiniProgram(&config.Config{AppID: cfg.AppID, AppSecret: cfg.Secret, Cache: c})
	mp.SetAccessTokenContextHandle(&tokenHandle{appID: cfg.AppID, secret: cfg.Secret, cache: c, key: key})
	return &Client{mp: mp, cache: c, tokenKey: key}, nil
}

// MiniProgram exposes the underlying silenceper client for features this package does not wrap
// (subscribe messages, ...). Pass its errors through WrapError before logging them.
func (c *Client) MiniProgram() *miniprogram.MiniProgram { return c.mp }

// Code2Session exchanges a wx.login code for the user's identity. An invalid, expired or used
// code (40029, 40163, 40226) returns an error wrapping ErrInvalidCode; other WeChat errors
// return an *APIError; network errors are wrapped (with credentials removed from the message).
func (c *Client) Code2Session(ctx context.Context, code string) (Session, error) {
	const op = "code2session"
	if code == "" {
		return Session{}, fmt.Errorf("wechat: %s: empty code: %w", op, ErrInvalidCode)
	}
	// silenceper splices the code into the URL unescaped; escape it so that sandbox codes such
	// as "dev:张 三" survive. Real codes are URL-safe, so this changes nothing for them.
	res, err := c.mp.GetAuth().Code2SessionContext(ctx, url.QueryEscape(code))
	if res.ErrCode != 0 {
		return Session{}, codeError(op, &APIError{Code: int(res.ErrCode), Msg: res.ErrMsg, Op: op})
	}
	if err != nil {
		return Session{}, WrapError(op, err)
	}
	if res.OpenID == "" || res.SessionKey == "" {
		return Session{}, fmt.Errorf("wechat: %s: answer without openid or session_key", op)
	}
	return Session{OpenID: res.OpenID, UnionID: res.UnionID, SessionKey: res.SessionKey}, nil
}

// PhoneNumber exchanges a getPhoneNumber code for the user's phone number without country code.
// An invalid code (40029) returns an error wrapping ErrInvalidCode. When WeChat rejects the
// cached access token (another process or tool fetched a newer one), the token is dropped from
// the cache and the call is tried once more.
func (c *Client) PhoneNumber(ctx context.Context, code string) (string, error) {
	const op = "phonenumber"
	if code == "" {
		return "", fmt.Errorf("wechat: %s: empty code: %w", op, ErrInvalidCode)
	}
	for attempt := 0; ; attempt++ {
		tok, err := c.AccessToken(ctx)
		if err != nil {
			return "", err
		}
		res, err := c.mp.GetAuth().GetPhoneNumberContext(ctx, code)
		if err == nil {
			if res.PhoneInfo.PurePhoneNumber == "" {
				return "", fmt.Errorf("wechat: %s: answer without purePhoneNumber", op)
			}
			return res.PhoneInfo.PurePhoneNumber, nil
		}
		err = codeError(op, WrapError(op, err))
		var ae *APIError
		if attempt == 0 && errors.As(err, &ae) && tokenRejected(ae.Code) {
			if ierr := c.InvalidateAccessToken(ctx, tok); ierr != nil {
				return "", errors.Join(err, ierr)
			}
			continue
		}
		return "", err
	}
}

// AccessToken returns the current access token, from the cache or freshly fetched. Callers of
// MiniProgram() rarely need it, except to pass to InvalidateAccessToken.
func (c *Client) AccessToken(ctx context.Context) (string, error) {
	tok, err := c.mp.GetContext().GetAccessTokenContext(ctx)
	if err != nil {
		return "", WrapError("access token", err)
	}
	return tok, nil
}

// InvalidateAccessToken drops the cached access token if it still equals stale, so the next
// call fetches a new one. Call it when WeChat answers 40001 or 42001 for stale. Comparing first
// keeps one process from discarding a token another process has just fetched. An empty stale
// drops whatever is cached.
func (c *Client) InvalidateAccessToken(ctx context.Context, stale string) error {
	if stale == "" {
		return cache.DeleteContext(ctx, c.cache, c.tokenKey)
	}
	if cd, ok := c.cache.(compareDeleter); ok {
		_, err := cd.CompareAndDelete(ctx, c.tokenKey, stale)
		return err
	}
	if v, _ := cache.GetContext(ctx, c.cache, c.tokenKey).(string); v != stale {
		return nil
	}
	return cache.DeleteContext(ctx, c.cache, c.tokenKey)
}

// compareDeleter is implemented by caches that can delete a key only while it holds a value.
type compareDeleter interface {
	CompareAndDelete(ctx context.Context, key, val string) (bool, error)
}

// tokenRejected reports whether errcode means the access token itself was refused.
func tokenRejected(code int) bool { return code == 40001 || code == 42001 || code == 40014 }
