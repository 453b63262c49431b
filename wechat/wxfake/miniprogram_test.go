package wxfake

import (
	"net/url"
	"strings"
	"testing"
)

func TestCode2Session(t *testing.T) {
	s := startServer(t)
	login := func(appID, secret, code string) map[string]any {
		q := url.Values{"appid": {appID}, "secret": {secret}, "js_code": {code}, "grant_type": {"authorization_code"}}
		return call(t, s, "GET", "https://api.weixin.qq.com/sns/jscode2session?"+q.Encode(), nil)
	}

	first, second := login("wxapp", "sec", "dev:alice"), login("wxapp", "sec", "dev:alice")
	wantCode(t, first, 0)
	if first["openid"] != "dev_"+hashHex("alice") || first["unionid"] != "devu_"+hashHex("u:alice") {
		t.Fatalf("ids = %v", first)
	}
	if first["openid"] != second["openid"] || first["unionid"] != second["unionid"] {
		t.Fatalf("same name gave different users: %v vs %v", first, second)
	}
	if first["session_key"] == "" || first["session_key"] == second["session_key"] {
		t.Fatalf("session keys should be random: %v vs %v", first["session_key"], second["session_key"])
	}
	if bob := login("wxapp", "sec", "dev:bob"); bob["openid"] == first["openid"] {
		t.Fatal("different names gave the same openid")
	}
	if cjk := login("wxapp", "sec", "dev:"+strings.Repeat("张", 32)); errcode(cjk) != 0 {
		t.Fatalf("32-rune name rejected: %v", cjk)
	}

	tests := []struct {
		name, appID, secret, code string
		want                      int
	}{
		{"missing appid", "", "sec", "dev:alice", 40013},
		{"missing secret", "wxapp", "", "dev:alice", 40013},
		{"real-looking code", "wxapp", "sec", "081AbC0w3", 40029},
		{"empty name", "wxapp", "sec", "dev:", 40029},
		{"name too long", "wxapp", "sec", "dev:" + strings.Repeat("a", 33), 40029},
		{"empty code", "wxapp", "sec", "", 40029},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, login(tc.appID, tc.secret, tc.code), tc.want)
		})
	}
}

func TestTokenInvalidatedByNewerToken(t *testing.T) {
	s := startServer(t)
	msg := map[string]any{"touser": "o1", "template_id": "T1", "data": map[string]any{"thing1": map[string]string{"value": "开放日"}}}
	sendWith := func(tok string) map[string]any {
		return call(t, s, "POST", "https://api.weixin.qq.com/cgi-bin/message/subscribe/send?access_token="+url.QueryEscape(tok), msg)
	}

	old := getToken(t, s, "wxapp")
	other := getToken(t, s, "wxother")
	wantCode(t, sendWith(old), 0)
	fresh := getToken(t, s, "wxapp")
	if fresh == old {
		t.Fatal("a new token request returned the old token")
	}
	wantCode(t, sendWith(old), 40001)
	wantCode(t, sendWith(fresh), 0)
	wantCode(t, sendWith(other), 0) // other appids are unaffected
	wantCode(t, sendWith("made-up"), 40001)
	wantCode(t, call(t, s, "POST", "https://api.weixin.qq.com/cgi-bin/message/subscribe/send", msg), 41001)

	m := call(t, s, "GET", "https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential&appid=wxapp&secret=s", nil)
	if m["expires_in"] != float64(7200) {
		t.Fatalf("expires_in = %v", m["expires_in"])
	}
	wantCode(t, call(t, s, "GET", "https://api.weixin.qq.com/cgi-bin/token?appid=wxapp", nil), 41004)
	wantCode(t, call(t, s, "GET", "https://api.weixin.qq.com/cgi-bin/token?secret=s", nil), 40013)
}

func TestStableToken(t *testing.T) {
	s := startServer(t)
	stable := func(force bool) string {
		m := call(t, s, "POST", "https://api.weixin.qq.com/cgi-bin/stable_token",
			map[string]any{"grant_type": "client_credential", "appid": "wxapp", "secret": "s", "force_refresh": force})
		tok, _ := m["access_token"].(string)
		if tok == "" {
			t.Fatalf("no token: %v", m)
		}
		return tok
	}
	a, b := stable(false), stable(false)
	if a != b {
		t.Fatal("stable token changed without force_refresh")
	}
	normal := getToken(t, s, "wxapp") // ordinary tokens do not invalidate stable ones
	c := stable(true)
	if c == a {
		t.Fatal("force_refresh kept the old token")
	}
	phone := func(tok string) map[string]any {
		return call(t, s, "POST", "https://api.weixin.qq.com/wxa/business/getuserphonenumber?access_token="+url.QueryEscape(tok), map[string]string{"code": "devphone:13800000000"})
	}
	wantCode(t, phone(a), 40001)
	wantCode(t, phone(c), 0)
	wantCode(t, phone(normal), 0)
}

func TestPhoneNumber(t *testing.T) {
	s := startServer(t)
	tok := getToken(t, s, "wxapp")
	u := "https://api.weixin.qq.com/wxa/business/getuserphonenumber?access_token=" + url.QueryEscape(tok)

	m := call(t, s, "POST", u, map[string]string{"code": "devphone:13912345678"})
	wantCode(t, m, 0)
	info, _ := m["phone_info"].(map[string]any)
	if info["purePhoneNumber"] != "13912345678" || info["phoneNumber"] != "13912345678" || info["countryCode"] != "86" {
		t.Fatalf("phone_info = %v", info)
	}
	for _, code := range []string{"devphone:", "devphone:139x", "13912345678", ""} {
		wantCode(t, call(t, s, "POST", u, map[string]string{"code": code}), 40029)
	}
	wantCode(t, call(t, s, "GET", u, nil), 43002)
}

func TestSubscribeAndTemplateSend(t *testing.T) {
	s := startServer(t)
	tok := url.QueryEscape(getToken(t, s, "wxapp"))
	sub := "https://api.weixin.qq.com/cgi-bin/message/subscribe/send?access_token=" + tok
	tpl := "https://api.weixin.qq.com/cgi-bin/message/template/send?access_token=" + tok
	item := func(v string) map[string]string { return map[string]string{"value": v} }

	tests := []struct {
		name string
		body any
		want int
	}{
		{"ok", map[string]any{"touser": "o1", "template_id": "T", "data": map[string]any{"thing1": item("暑期托管报名成功"), "time2": item("2026-07-01 08:00")}}, 0},
		{"no touser", map[string]any{"template_id": "T", "data": map[string]any{"thing1": item("x")}}, 40003},
		{"no template", map[string]any{"touser": "o1", "data": map[string]any{"thing1": item("x")}}, 40037},
		{"no data", map[string]any{"touser": "o1", "template_id": "T"}, 47003},
		{"number value", map[string]any{"touser": "o1", "template_id": "T", "data": map[string]any{"number1": map[string]any{"value": 42}}}, 0},
		{"value not object", map[string]any{"touser": "o1", "template_id": "T", "data": map[string]any{"thing1": "x"}}, 47003},
		{"value missing", map[string]any{"touser": "o1", "template_id": "T", "data": map[string]any{"thing1": map[string]any{}}}, 47003},
		{"value object", map[string]any{"touser": "o1", "template_id": "T", "data": map[string]any{"thing1": map[string]any{"value": map[string]any{}}}}, 47003},
		{"thing too long", map[string]any{"touser": "o1", "template_id": "T", "data": map[string]any{"thing1": item(strings.Repeat("课", 21))}}, 47003},
		{"phrase too long", map[string]any{"touser": "o1", "template_id": "T", "data": map[string]any{"phrase3": item("已经成功报名")}}, 47003},
		{"bad json", "{", 47001},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, call(t, s, "POST", sub, tc.body), tc.want)
		})
	}
	if got := len(s.Requests(EpSubscribeSend)); got != len(tests) {
		t.Fatalf("recorded %d subscribe sends, want %d", got, len(tests))
	}

	long := map[string]any{"touser": "o1", "template_id": "T", "data": map[string]any{"thing1": item(strings.Repeat("课", 30))}}
	a, b := call(t, s, "POST", tpl, long), call(t, s, "POST", tpl, long)
	wantCode(t, a, 0) // official-account templates have no per-type limits
	if a["msgid"] == nil || a["msgid"] == b["msgid"] {
		t.Fatalf("msgids %v and %v should be present and distinct", a["msgid"], b["msgid"])
	}
	wantCode(t, call(t, s, "POST", tpl, map[string]any{"touser": "o1"}), 40037)
}
