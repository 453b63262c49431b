package smsfake

import (
	"testing"
)

// The fake's verifier is checked against Tencent's published TC3 example ("Signature v3" in
// the API 3.0 docs: CVM DescribeInstances, timestamp 1551113065), independently of package
// sms's signer, which is checked against the same example.
func TestTC3SignatureMatchesTencentPublishedExample(t *testing.T) {
	const (
		secretKey = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
		payload   = `{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}`
		want      = "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
	)
	// Headers in the "wrong" order and case: the verifier must sort and lowercase them.
	headers := [][2]string{{"Host", "cvm.tencentcloudapi.com"}, {"Content-Type", "application/json; charset=utf-8"}}
	got := tc3Signature(secretKey, "POST", "", headers, []byte(payload), "1551113065", "2019-02-25", "cvm")
	if got != want {
		t.Errorf("tc3Signature = %s, want %s", got, want)
	}
}

func TestParseAuthorization(t *testing.T) {
	tests := []struct {
		name, header string
		ok           bool
	}{
		{"published", "TC3-HMAC-SHA256 Credential=AKIDEXAMPLE/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=72e4", true},
		{"reordered", "TC3-HMAC-SHA256 Signature=72e4, SignedHeaders=content-type;host, Credential=AKIDEXAMPLE/2019-02-25/cvm/tc3_request", true},
		{"other algorithm", "HMAC-SHA1 Credential=AKIDEXAMPLE/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=72e4", false},
		{"short scope", "TC3-HMAC-SHA256 Credential=AKIDEXAMPLE/2019-02-25/cvm, SignedHeaders=content-type;host, Signature=72e4", false},
		{"no signature", "TC3-HMAC-SHA256 Credential=AKIDEXAMPLE/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, ok := parseAuthorization(tt.header)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v (%+v)", ok, tt.ok, a)
			}
			if ok && (a.secretID != "AKIDEXAMPLE" || a.date != "2019-02-25" || a.service != "cvm" ||
				a.terminal != "tc3_request" || len(a.signedHeaders) != 2 || a.signature != "72e4") {
				t.Errorf("parsed %+v", a)
			}
		})
	}
}
