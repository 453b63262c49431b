package config

import (
	"encoding/json"
	"fmt"
	"strings"
)

// WxTemplate says how a notice kind becomes a subscribe message: the template, the page it
// opens, and which notice value fills each template key. Values are title, body, school (the
// sender), date (send time) and kind.
type WxTemplate struct {
	TemplateID string            `json:"template_id"`
	Page       string            `json:"page"`
	Fields     map[string]string `json:"fields"`
	LongTerm   bool              `json:"long_term"` // a long-term subscription (education services) is not used up by a send
}

// SMSTemplate says how a notice kind becomes an SMS: the approved template and its parameters
// in order.
type SMSTemplate struct {
	TemplateID string   `json:"template_id"`
	Params     []string `json:"params"`
}

// NoticeValues are the notice values a template may use.
var NoticeValues = []string{"title", "body", "school", "date", "kind"}

// sandboxWx and sandboxSMS make every notice kind sendable without configuration in sandbox mode.
var sandboxWx = map[string]WxTemplate{
	"general": {TemplateID: "sandbox-notice", Page: "pages/notice/detail", Fields: map[string]string{"thing1": "title", "thing2": "school", "time3": "date"}},
}

var sandboxSMS = map[string]SMSTemplate{
	"general": {TemplateID: "100001", Params: []string{"school", "title"}},
}

// Templates returns the subscribe-message templates by notice kind; "general" serves kinds
// without their own.
func (c *Config) Templates() (map[string]WxTemplate, error) {
	if c.WxTemplates == "" {
		if c.Sandbox() {
			return sandboxWx, nil
		}
		return map[string]WxTemplate{}, nil
	}
	out := map[string]WxTemplate{}
	if err := strictJSON(c.WxTemplates, &out); err != nil {
		return nil, err
	}
	for kind, t := range out {
		if t.TemplateID == "" {
			return nil, fmt.Errorf("kind %q: template_id is empty", kind)
		}
		for key, v := range t.Fields {
			if !knownValue(v) {
				return nil, fmt.Errorf("kind %q: field %s uses unknown value %q (use %s)", kind, key, v, strings.Join(NoticeValues, ", "))
			}
		}
	}
	return out, nil
}

// SMSTemplateSet returns the SMS templates by notice kind.
func (c *Config) SMSTemplateSet() (map[string]SMSTemplate, error) {
	if c.SMSTemplates == "" {
		if c.SandboxSMS() {
			return sandboxSMS, nil
		}
		return map[string]SMSTemplate{}, nil
	}
	out := map[string]SMSTemplate{}
	if err := strictJSON(c.SMSTemplates, &out); err != nil {
		return nil, err
	}
	for kind, t := range out {
		if t.TemplateID == "" {
			return nil, fmt.Errorf("kind %q: template_id is empty", kind)
		}
		for _, v := range t.Params {
			if !knownValue(v) {
				return nil, fmt.Errorf("kind %q: unknown parameter %q (use %s)", kind, v, strings.Join(NoticeValues, ", "))
			}
		}
	}
	return out, nil
}

func knownValue(v string) bool {
	for _, n := range NoticeValues {
		if v == n {
			return true
		}
	}
	return false
}

func strictJSON(s string, v any) error {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("not valid template JSON: %v", err)
	}
	return nil
}
