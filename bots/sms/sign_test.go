package sms

import (
	"strings"
	"testing"
	"time"
)

// Tencent's published TC3-HMAC-SHA256 example ("Signature v3" in the API 3.0 docs: CVM
// DescribeInstances in ap-guangzhou). Every value below is copied from that page, not
// computed here, so the test checks our signer against Tencent rather than against itself.
const (
	docSecretID   = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"
	docSecretKey  = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
	docHost       = "cvm.tencentcloudapi.com"
	docTimestamp  = 1551113065
	docPayload    = `{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}`
	docPayloadSum = "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
	docSignature  = "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
)

func TestSignerMatchesTencentPublishedExample(t *testing.T) {
	if got := sha256Hex([]byte(docPayload)); got != docPayloadSum {
		t.Fatalf("payload hash = %s, want %s (payload copied wrongly?)", got, docPayloadSum)
	}
	s := signer{secretID: docSecretID, secretKey: docSecretKey, service: "cvm"}
	got := s.authorization(docHost, "application/json; charset=utf-8", []byte(docPayload),
		time.Unix(docTimestamp, 0))
	want := "TC3-HMAC-SHA256 Credential=" + docSecretID + "/2019-02-25/cvm/tc3_request, " +
		"SignedHeaders=content-type;host, Signature=" + docSignature
	if got != want {
		t.Errorf("authorization =\n  %s\nwant\n  %s", got, want)
	}
}

// The docs warn that the scope date is the UTC date: 1551113065 is already 2019-02-26 in
// Beijing. A signer given a time in a +8 zone must still use 2019-02-25.
func TestSignerUsesUTCDate(t *testing.T) {
	s := signer{secretID: docSecretID, secretKey: docSecretKey, service: "cvm"}
	ts := time.Unix(docTimestamp, 0).In(time.FixedZone("CST", 8*3600))
	got := s.authorization(docHost, "application/json; charset=utf-8", []byte(docPayload), ts)
	if !strings.HasSuffix(got, "Signature="+docSignature) {
		t.Errorf("signature with a Beijing-zoned time = %s, want the published one", got)
	}
}
