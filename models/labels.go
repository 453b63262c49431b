package models

import (
	"slices"
	"sort"
	"strings"
)

// Labels: every code the API reads or writes (a notice's kind, a complaint's status, a
// volunteer's type …) belongs to an Enum, declared next to its constants, which gives each
// code the Chinese label users read. Validators accept only codes of an Enum (CheckEnum), so a
// code cannot be accepted without a label, and GET /api/v1/meta/labels serves the registry so
// no client hard-codes a label. labels_test.go fails when a string constant of this package is
// neither an Enum's code nor listed as internal.

// Label is one code of an enum and the text users read for it.
type Label struct {
	Code string
	Text string
}

// Enum is a named set of codes with their labels, in display order.
type Enum struct {
	Name        string // the registry key: notice_kind
	Schema      string // the schema name in openapi.yaml: NoticeKind
	Description string // English, for the API document
	Labels      []Label
}

// enums is the registry, by name.
var enums = map[string]*Enum{}

// NewEnum declares and registers an enum; a duplicate name or code is a programming error.
func NewEnum(name, schema, description string, labels ...Label) *Enum {
	if _, dup := enums[name]; dup {
		panic("models: enum declared twice: " + name)
	}
	seen := map[string]bool{}
	for _, l := range labels {
		if l.Code == "" || strings.TrimSpace(l.Text) == "" || seen[l.Code] {
			panic("models: enum " + name + ": empty or repeated code " + l.Code)
		}
		seen[l.Code] = true
	}
	e := &Enum{Name: name, Schema: schema, Description: description, Labels: labels}
	enums[name] = e
	return e
}

// L is shorthand for a Label.
func L(code, text string) Label { return Label{Code: code, Text: text} }

// Codes lists the enum's codes in order.
func (e *Enum) Codes() []string {
	out := make([]string, len(e.Labels))
	for i, l := range e.Labels {
		out[i] = l.Code
	}
	return out
}

// Has reports whether code belongs to the enum.
func (e *Enum) Has(code string) bool {
	return slices.ContainsFunc(e.Labels, func(l Label) bool { return l.Code == code })
}

// Text is code's label ("" for an unknown code).
func (e *Enum) Text(code string) string {
	for _, l := range e.Labels {
		if l.Code == code {
			return l.Text
		}
	}
	return ""
}

// Map returns code → label.
func (e *Enum) Map() map[string]string {
	m := make(map[string]string, len(e.Labels))
	for _, l := range e.Labels {
		m[l.Code] = l.Text
	}
	return m
}

// Enums lists the registry by name.
func Enums() []*Enum {
	out := make([]*Enum, 0, len(enums))
	for _, e := range enums {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// EnumNamed returns the enum registered as name, or nil.
func EnumNamed(name string) *Enum { return enums[name] }

// AllLabels is the registry as the API serves it: enum name → code → label.
func AllLabels() map[string]map[string]string {
	out := make(map[string]map[string]string, len(enums))
	for name, e := range enums {
		out[name] = e.Map()
	}
	return out
}

// CheckEnum requires value to be a code of e and, when allowed is given, one of allowed (a
// subset of e: a code of allowed that e lacks is not accepted either).
func (f FieldErrors) CheckEnum(field, value string, e *Enum, allowed ...string) {
	codes := e.Codes()
	if len(allowed) > 0 {
		codes = slices.DeleteFunc(slices.Clone(allowed), func(c string) bool { return !e.Has(c) })
	}
	switch {
	case value == "":
		f.Add(field, MsgRequired)
	case !slices.Contains(codes, value):
		f.Add(field, "取值应为 "+strings.Join(codes, "/")+" 之一")
	}
}
