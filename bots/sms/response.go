package sms

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"kehou/bots"
)

// sendResponse is SendSms's answer: either Error, or one SendStatus per number.
type sendResponse struct {
	Response struct {
		Error *struct {
			Code    string `json:"Code"`
			Message string `json:"Message"`
		} `json:"Error"`
		SendStatusSet []sendStatus `json:"SendStatusSet"`
		RequestID     string       `json:"RequestId"`
	} `json:"Response"`
}

// sendStatus is the outcome for one number. PhoneNumber is deliberately not kept: we sent one
// number and know which, and not holding it keeps it out of anything we might print.
type sendStatus struct {
	SerialNo string `json:"SerialNo"`
	Code     string `json:"Code"`
	Message  string `json:"Message"`
}

// statusOK is the per-number Code Tencent uses for an accepted message.
const statusOK = "Ok"

// parse interprets an HTTP answer from SendSms and returns the SerialNo, or a *bots.Error.
func (c *Client) parse(status int, raw []byte) (string, error) {
	if status >= http.StatusInternalServerError {
		// Gateways in front of Tencent answer 5xx with HTML; whatever the body, a server-side
		// failure is worth another try.
		return "", &bots.Error{Reason: bots.ReasonProvider, Code: fmt.Sprintf("HTTP%d", status),
			Err: fmt.Errorf("tencent sms: http status %d", status)}
	}
	var out sendResponse
	if err := json.Unmarshal(raw, &out); err != nil {
		return "", &bots.Error{Reason: bots.ReasonProvider, Code: fmt.Sprintf("HTTP%d", status),
			Err: fmt.Errorf("tencent sms: http status %d, undecodable answer: %w", status, err)}
	}
	r := out.Response
	if r.Error != nil && r.Error.Code != "" {
		return "", classify(r.Error.Code, r.Error.Message, r.RequestID, c.now())
	}
	if status != http.StatusOK {
		return "", &bots.Error{Reason: bots.ReasonProvider, Code: fmt.Sprintf("HTTP%d", status),
			Err: fmt.Errorf("tencent sms: http status %d (request %s)", status, r.RequestID)}
	}
	if len(r.SendStatusSet) == 0 {
		// Neither an error nor a status: we cannot tell whether it was sent, and a duplicate
		// text is a smaller harm than a lost one.
		return "", &bots.Error{Reason: bots.ReasonProvider, Code: "EmptySendStatusSet",
			Err: fmt.Errorf("tencent sms: answer has no send status (request %s)", r.RequestID)}
	}
	st := r.SendStatusSet[0]
	if !strings.EqualFold(st.Code, statusOK) {
		return "", classify(st.Code, st.Message, r.RequestID, c.now())
	}
	return st.SerialNo, nil
}
