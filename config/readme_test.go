package config

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEDocumentsEveryVariable keeps the README's configuration table in step with Config.
func TestREADMEDocumentsEveryVariable(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range c.Vars() {
		if !strings.Contains(string(readme), "| `"+v.Env+"` |") {
			t.Errorf("README.md configuration table lacks %s", v.Env)
		}
	}
}
