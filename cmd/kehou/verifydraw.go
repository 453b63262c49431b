package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"reflect"
	"strings"
	"time"

	"kehou/models"
)

// publishedDraw is what GET /api/v1/public/draws/{id} answers.
type publishedDraw struct {
	SelectionID string             `json:"selection_id"`
	School      string             `json:"school"`
	Title       string             `json:"title"`
	Status      string             `json:"status"`
	Input       models.DrawInput   `json:"input"`
	Names       map[string]string  `json:"names"`
	Result      *models.DrawResult `json:"result"`
}

// verifyDraw recomputes a published course-selection draw from its public data alone: it checks
// the revealed seed against the commitment published before the window opened, runs the
// lottery (models.Draw, documented in docs/journeys-plans.md) on the anonymised requests and
// compares the result with the one published. With a code it prints that child's result.
//
//	kehou verify-draw https://…/api/v1/public/draws/<id> [code]
//	kehou verify-draw draw.json [code]
func verifyDraw(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) < 1 || len(args) > 2 {
		return errors.New("usage: kehou verify-draw <draw.json or URL> [code]")
	}
	raw, err := readSource(ctx, args[0])
	if err != nil {
		return err
	}
	var d publishedDraw
	if err := json.Unmarshal(raw, &d); err != nil {
		return fmt.Errorf("read the draw: %w", err)
	}
	if d.Input.Seed == "" || d.Result == nil {
		return errors.New("the draw has not taken place yet: no seed and no result are published")
	}
	got, err := models.Draw(d.Input)
	if errors.Is(err, models.ErrCommitment) {
		return fmt.Errorf("NOT VERIFIED: the revealed seed does not match the commitment %s", d.Input.Commitment)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s %s\n", d.School, d.Title)
	fmt.Fprintf(stdout, "commitment %s matches the seed\n", d.Input.Commitment)
	if !sameResult(got, *d.Result) {
		return errors.New("NOT VERIFIED: the published result differs from the one the seed and requests give")
	}
	requests := map[string]int{}
	for _, r := range d.Input.Requests {
		for _, c := range r.Choices {
			requests[c]++
		}
	}
	placed := map[string]int{}
	for _, cs := range got.Placed {
		for _, c := range cs {
			placed[c]++
		}
	}
	for _, c := range d.Input.Courses {
		fmt.Fprintf(stdout, "  %s: %d places, ranked by %d, given %d, waiting %d\n", name(d, c.ID), c.Capacity, requests[c.ID], placed[c.ID], len(got.Waiting[c.ID]))
	}
	fmt.Fprintf(stdout, "verified: %d requests, the published result is the one the seed gives\n", len(d.Input.Requests))
	if len(args) == 2 {
		code := strings.TrimSpace(args[1])
		pos := -1
		for i, c := range got.Order {
			if c == code {
				pos = i
			}
		}
		if pos < 0 {
			return fmt.Errorf("code %s is not among the requests", code)
		}
		var courses, waits []string
		for _, c := range got.Placed[code] {
			courses = append(courses, name(d, c))
		}
		for _, c := range d.Input.Courses {
			for _, w := range got.Waiting[c.ID] {
				if w == code {
					waits = append(waits, name(d, c.ID))
				}
			}
		}
		fmt.Fprintf(stdout, "code %s: drawn %d of %d; courses: %s; waiting for: %s\n", code, pos+1, len(got.Order),
			orNone(courses), orNone(waits))
	}
	return nil
}

func sameResult(a, b models.DrawResult) bool {
	norm := func(m map[string][]string) map[string][]string {
		out := map[string][]string{}
		for k, v := range m {
			if len(v) > 0 {
				out[k] = v
			}
		}
		return out
	}
	return reflect.DeepEqual(a.Order, b.Order) && reflect.DeepEqual(norm(a.Placed), norm(b.Placed)) && reflect.DeepEqual(norm(a.Waiting), norm(b.Waiting))
}

func name(d publishedDraw, id string) string {
	if n := d.Names[id]; n != "" {
		return n
	}
	return id
}

func orNone(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(list, ", ")
}

func readSource(ctx context.Context, src string) ([]byte, error) {
	if !strings.HasPrefix(src, "http://") && !strings.HasPrefix(src, "https://") {
		return os.ReadFile(src)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch the draw: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch the draw: %s", resp.Status)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 32<<20))
}
