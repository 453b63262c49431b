package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"kehou/bots"
	"kehou/config"
	"kehou/models"
	"kehou/rediskeys"
	"kehou/store"
)

// wxTemplate finds the subscribe template of a notice kind, falling back to "general".
func (h *Handlers) wxTemplate(kind string) (config.WxTemplate, bool) {
	if t, ok := h.WxTemplates[kind]; ok {
		return t, true
	}
	t, ok := h.WxTemplates[models.NoticeGeneral]
	return t, ok
}

func (h *Handlers) smsTemplate(kind string) (config.SMSTemplate, bool) {
	if t, ok := h.SMSTemplates[kind]; ok {
		return t, true
	}
	t, ok := h.SMSTemplates[models.NoticeGeneral]
	return t, ok
}

// prepare turns claimed deliveries into messages: it looks up each recipient's openid or phone,
// spends a subscribe consent, checks the per-number SMS limits, and marks the ones that cannot
// be sent with the reason. An SMS to a member whose number the batch carries (phones) needs no
// read of the member.
func (h *Handlers) prepare(ctx context.Context, n models.Notice, channel string, ds []models.Delivery, phones map[string][]byte) ([]*prepared, error) {
	var lookup []string
	for _, d := range ds {
		if channel != models.ChannelSMS || len(phones[d.MemberID]) == 0 {
			lookup = append(lookup, d.MemberID)
		}
	}
	members, err := h.Store.MembersByID(ctx, lookup)
	if err != nil {
		return nil, err
	}
	out := make([]*prepared, len(ds))
	for i, d := range ds {
		p := &prepared{d: d, msg: bots.Message{Ref: d.ID, Group: n.ID}}
		out[i] = p
		m, ok := members[d.MemberID]
		if carried := phones[d.MemberID]; channel == models.ChannelSMS && len(carried) > 0 {
			m, ok = models.Member{ID: d.MemberID, PhoneEnc: carried}, true
		}
		p.phoneEnc = m.PhoneEnc
		switch {
		case d.Attempts >= MaxDeliveryAttempts:
			p.skip = "too_many_attempts"
		case channel == models.ChannelWeCom || channel == models.ChannelDingTalk:
			err = h.prepareRobot(ctx, n, d, p)
		case !ok:
			p.skip = bots.ReasonInvalidRecipient
		case channel == models.ChannelSubscribe:
			err = h.prepareSubscribe(ctx, n, m, p)
		case channel == models.ChannelSMS:
			err = h.prepareSMS(ctx, n, m, p)
		default:
			p.skip = "channel_unavailable"
		}
		if err != nil {
			return out[:i+1], err
		}
	}
	return out, nil
}

func (h *Handlers) prepareSubscribe(ctx context.Context, n models.Notice, m models.Member, p *prepared) error {
	t, ok := h.wxTemplate(n.Kind)
	switch {
	case !ok:
		p.skip = "no_template"
		return nil
	case m.OpenID == "":
		p.skip = bots.ReasonInvalidRecipient
		return nil
	}
	spent, err := h.Store.SpendConsent(ctx, m.ID, t.TemplateID)
	if err != nil {
		return err
	}
	if !spent {
		p.skip = bots.ReasonNoConsent
		return nil
	}
	p.refund = t.TemplateID
	data := make(map[string]string, len(t.Fields))
	for key, value := range t.Fields {
		data[key] = n.NoticeValue(value)
	}
	page := t.Page
	if page != "" {
		page += "?id=" + n.ID
	}
	p.msg.To, p.msg.TemplateID, p.msg.Data, p.msg.Page = m.OpenID, t.TemplateID, data, page
	return nil
}

func (h *Handlers) prepareSMS(ctx context.Context, n models.Notice, m models.Member, p *prepared) error {
	t, ok := h.smsTemplate(n.Kind)
	if !ok {
		p.skip = "no_template"
		return nil
	}
	phone, err := h.Store.Phone(m)
	if err != nil {
		return fmt.Errorf("decrypt phone: %w", err)
	}
	if phone == "" {
		// No number authorised in the mini-program: the school roster's, if it has one.
		if phone, err = h.Store.RosterPhone(ctx, m.ID); err != nil {
			return err
		}
		if phone == "" {
			p.skip = "no_phone"
			return nil
		}
		if first, err := h.firstToNumber(ctx, n.ID, h.Store.PhoneHash(phone), m.ID); err != nil {
			return err
		} else if !first {
			p.skip = "same_number"
			return nil
		}
	}
	wait, keys, at, err := h.smsCount(ctx, h.Store.PhoneHash(phone))
	if err != nil {
		return err
	}
	if wait > 0 {
		p.wait = wait
		return nil
	}
	p.smsKeys, p.smsAt = keys, at
	params := make([]string, len(t.Params))
	for i, v := range t.Params {
		params[i] = n.NoticeValue(v)
	}
	p.msg.To, p.msg.TemplateID, p.msg.Params = phone, t.TemplateID, params
	return nil
}

// prepareRobot builds a group-robot message and applies the robot's per-minute limit.
func (h *Handlers) prepareRobot(ctx context.Context, n models.Notice, d models.Delivery, p *prepared) error {
	robotID := strings.TrimPrefix(d.MemberID, "robot:")
	r, err := h.Store.Robot(ctx, robotID)
	if errors.Is(err, store.ErrNotFound) {
		p.skip = bots.ReasonInvalidRecipient
		return nil
	}
	if err != nil {
		return err
	}
	key, secret, err := h.Store.RobotCredentials(r)
	if err != nil {
		return fmt.Errorf("robot credentials: %w", err)
	}
	wait, err := h.robotAllowed(ctx, r.ID)
	if err != nil || wait > 0 {
		p.wait = wait
		return err
	}
	text := n.Body + "\n\n—— " + n.Sender + " " + n.NoticeValue("date")
	p.msg.To, p.msg.Secret, p.msg.Title, p.msg.Text = key, secret, n.Title, text
	return nil
}

// robotLimit counts a robot's messages per minute of the handlers' clock: KEYS = the minute's
// counter; ARGV = limit. It answers 1 and counts when allowed, 0 when the minute is full.
var robotLimit = redis.NewScript(`
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n >= tonumber(ARGV[1]) then return 0 end
redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], 120)
return 1`)

// robotAllowed enforces WeCom's and DingTalk's 20 messages a minute per robot across every
// worker; a message over the limit waits for the next minute instead of being refused.
func (h *Handlers) robotAllowed(ctx context.Context, robotID string) (time.Duration, error) {
	if h.Redis == nil || h.RobotPerMin <= 0 {
		return 0, nil
	}
	now := h.now()
	minute := now.Truncate(time.Minute)
	ok, err := robotLimit.Run(ctx, h.Redis, []string{rediskeys.Robot(robotID, minute)}, h.RobotPerMin).Int()
	if err != nil {
		return 0, fmt.Errorf("robot limit: %w", err)
	}
	if ok == 1 {
		return 0, nil
	}
	return minute.Add(time.Minute).Sub(now), nil
}

// smsLimit keeps both per-number limits in one atomic step, against the handlers' clock (so a
// simulated window can be tested on real Redis): KEYS = last-send and day-count keys; ARGV =
// now (ms), interval (ms), daily limit. It answers 0 and counts the send when allowed, the
// milliseconds to wait for the interval, or -1 when the day's limit is reached.
var smsLimit = redis.NewScript(`
local now, gap, daily = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
if last > 0 and now - last < gap then return gap - (now - last) end
local n = tonumber(redis.call('GET', KEYS[2]) or '0')
if daily > 0 and n >= daily then return -1 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', gap + 60000)
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], 172800000)
return 0`)

// smsAllowed enforces the per-number limits in Redis, shared by every worker: at most one
// message per SMSInterval and SMSDaily per Shanghai day. It returns how long to wait, 0 when the
// message may go now (and counts it).
func (h *Handlers) smsAllowed(ctx context.Context, phoneHash string) (time.Duration, error) {
	wait, _, _, err := h.smsCount(ctx, phoneHash)
	return wait, err
}

// smsCount is smsAllowed that also returns what it counted, so a send the provider refuses
// can be released (smsRelease) instead of using up the number's day.
func (h *Handlers) smsCount(ctx context.Context, phoneHash string) (time.Duration, []string, int64, error) {
	if h.Redis == nil {
		return 0, nil, 0, nil
	}
	now := h.now().In(models.Shanghai)
	keys := []string{rediskeys.SMSLast(phoneHash), rediskeys.SMSDay(phoneHash, now.Format("20060102"))}
	wait, err := smsLimit.Run(ctx, h.Redis, keys, now.UnixMilli(), h.SMSInterval.Milliseconds(), h.SMSDaily).Int64()
	if err != nil {
		return 0, nil, 0, fmt.Errorf("sms limit: %w", err)
	}
	if wait < 0 {
		tomorrow := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, models.Shanghai)
		return tomorrow.Sub(now), nil, 0, nil
	}
	if wait > 0 {
		return time.Duration(wait) * time.Millisecond, nil, 0, nil
	}
	return 0, keys, now.UnixMilli(), nil
}

// firstToNumber claims a roster number for one member per notice: two parents of a pupil who
// both fall back to the roster's one number must not make it receive the notice twice. The
// claim is the member's, so a retry of that member's delivery still goes.
func (h *Handlers) firstToNumber(ctx context.Context, noticeID, phoneHash, memberID string) (bool, error) {
	if h.Redis == nil {
		return true, nil
	}
	key := rediskeys.SMSOnce(noticeID, phoneHash)
	ok, err := h.Redis.SetNX(ctx, key, memberID, 30*24*time.Hour).Result()
	if err != nil {
		return false, fmt.Errorf("roster number claim: %w", err)
	}
	if ok {
		return true, nil
	}
	owner, err := h.Redis.Get(ctx, key).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return false, fmt.Errorf("roster number claim: %w", err)
	}
	return owner == memberID, nil
}

// smsRelease undoes one counted send: the day's count goes down, and the last-send mark goes
// if it is still this send's.
var smsRelease = redis.NewScript(`
local n = tonumber(redis.call('GET', KEYS[2]) or '0')
if n > 0 then redis.call('DECR', KEYS[2]) end
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0`)

// releaseSMS gives back the per-number allowance of a message the provider refused (it was
// not sent). Network failures keep it: the message may have gone out.
func (h *Handlers) releaseSMS(ctx context.Context, p *prepared) {
	if h.Redis == nil || len(p.smsKeys) != 2 {
		return
	}
	if err := smsRelease.Run(ctx, h.Redis, p.smsKeys, fmt.Sprint(p.smsAt)).Err(); err != nil {
		h.Log.Warn("release sms limit", "delivery", p.d.ID, "err", err)
	}
}
