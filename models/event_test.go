package models

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func validEvent() Event {
	start := t0.Add(72 * time.Hour)
	return Event{Title: "家长开放日", Place: "礼堂", Audience: Audience{Kind: AudienceScope}, Status: EventPublished,
		SignupOpens: t0, SignupCloses: t0.Add(48 * time.Hour), CancelDeadline: t0.Add(60 * time.Hour),
		Sessions: []EventSession{{ID: "s1", Label: "上午场", StartsAt: start, EndsAt: start.Add(2 * time.Hour), Capacity: 50, MaxCompanions: 1}}}
}

func TestEventRules(t *testing.T) {
	if err := validEvent().Validate(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		edit  func(e *Event)
		field string
	}{
		{"no sessions", func(e *Event) { e.Sessions = nil }, "sessions"},
		{"session before sign-up closes", func(e *Event) { e.Sessions[0].StartsAt = t0.Add(time.Hour) }, "sessions[0].starts_at"},
		{"ends before it starts", func(e *Event) { e.Sessions[0].EndsAt = e.Sessions[0].StartsAt.Add(-time.Hour) }, "sessions[0].ends_at"},
		{"no capacity", func(e *Event) { e.Sessions[0].Capacity = 0 }, "sessions[0].capacity"},
		{"too many companions", func(e *Event) { e.Sessions[0].MaxCompanions = 9 }, "sessions[0].max_companions"},
		{"sign-up closes before it opens", func(e *Event) { e.SignupCloses = t0.Add(-time.Hour) }, "signup_closes"},
		{"children audience", func(e *Event) { e.Audience = Audience{Kind: AudienceChildren, ChildIDs: []string{"x"}} }, "audience.kind"},
	}
	for _, c := range cases {
		e := validEvent()
		c.edit(&e)
		if fe, ok := e.Validate().(FieldErrors); !ok || fe[c.field] == "" {
			t.Errorf("%s: want an error on %s, got %v", c.name, c.field, e.Validate())
		}
	}
	e := validEvent()
	ses := e.Session("s1")
	for _, c := range []struct {
		name string
		now  time.Time
		comp int
		want string
	}{
		{"open", t0.Add(time.Hour), 1, ""},
		{"not yet", t0.Add(-time.Hour), 0, "报名尚未开始"},
		{"closed", t0.Add(48 * time.Hour), 0, "报名已截止"},
		{"companions", t0.Add(time.Hour), 2, "随行家长"},
	} {
		if got := e.CanSignUp(c.now, ses, c.comp); (c.want == "" && got != "") || !strings.Contains(got, c.want) {
			t.Errorf("%s: %q", c.name, got)
		}
	}
	if e.CanCancel(t0.Add(59*time.Hour)) != "" || e.CanCancel(t0.Add(60*time.Hour)) == "" {
		t.Error("cancellation deadline")
	}
}

func TestCheckinTokens(t *testing.T) {
	key, other := []byte("0123456789abcdef0123456789abcdef"), []byte("another key of thirty-two bytes!")
	tok := CheckinToken{SignUpID: "su1", EventID: "ev1", SchoolID: "sc1", Expires: t0.Add(time.Hour)}.Sign(key)
	got, err := ParseCheckinToken(key, tok, t0)
	if err != nil || got.SignUpID != "su1" || got.EventID != "ev1" || got.SchoolID != "sc1" {
		t.Fatalf("valid: %+v %v", got, err)
	}
	for name, c := range map[string]struct {
		key   []byte
		token string
		now   time.Time
		want  error
	}{
		"expired":       {key, tok, t0.Add(time.Hour), ErrTokenExpired},
		"other key":     {other, tok, t0, ErrTokenInvalid},
		"other sign-up": {key, strings.Replace(tok, "su1", "su2", 1), t0, ErrTokenInvalid},
		"later expiry":  {key, strings.Replace(tok, ".ev1.sc1.", ".ev1.sc2.", 1), t0, ErrTokenInvalid},
		"truncated":     {key, tok[:len(tok)-3], t0, ErrTokenInvalid},
		"not a token":   {key, "hello", t0, ErrTokenInvalid},
	} {
		if _, err := ParseCheckinToken(c.key, c.token, c.now); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
}
