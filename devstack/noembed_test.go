//go:build noembed

package devstack

import (
	"context"
	"errors"
	"testing"
)

func TestStartNotCompiled(t *testing.T) {
	s, err := Start(context.Background(), Options{Dir: t.TempDir()})
	if !errors.Is(err, ErrNotCompiled) || s != nil {
		t.Fatalf("Start = %v, %v; want nil, ErrNotCompiled", s, err)
	}
}
