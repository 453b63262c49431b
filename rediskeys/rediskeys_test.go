package rediskeys

import (
	"strings"
	"testing"
	"time"
)

// TestKeysKeepTheirSpelling: these names are shared by running API and worker processes and by
// keys already in Redis, so a change of spelling is a change of stored data. Every key also
// stays under kehou's own prefix, apart from asynq's.
func TestKeysKeepTheirSpelling(t *testing.T) {
	minute := time.Unix(1_800_000_000, 0)
	for got, want := range map[string]string{
		Rate("ip", "1.2.3.4", 42):  "kehou:rl:ip:1.2.3.4:42",
		Robot("r1", minute):        "kehou:robot:r1:1800000000",
		SMSLast("h"):               "kehou:sms:last:h",
		SMSDay("h", "20261203"):    "kehou:sms:day:h:20261203",
		SMSOnce("n1", "h"):         "kehou:sms:once:n1:h",
		AnswerInBatch("sv1", "r1"): "kehou:ans:sv1:r1",
		SessionPrefix + "ab":       "kehou:s:ab",
		PupilsPrefix + "m1":        "kehou:kids:m1",
		WechatPrefix + "token":     "kehou:wx:token",
	} {
		if got != want {
			t.Errorf("key %q, want %q", got, want)
		}
		if !strings.HasPrefix(got, "kehou:") {
			t.Errorf("key %q is outside kehou's prefix", got)
		}
	}
}
