package models

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
)

// The course-selection lottery (摇号), verifiable by anyone:
//
//  1. Before the selection window opens the school publishes Commitment(seed), the SHA-256 of
//     "kehou-draw-v1:" + seed; the seed itself stays secret.
//  2. Requests are published anonymised: each child is a code (an HMAC of the child that only
//     the family is shown) with its ranked course choices.
//  3. At the draw the seed is revealed. Each code's lottery number is SHA-256(seed + ":" +
//     code) in hex; requesters are ordered by it, smallest first (ties, which SHA-256 makes
//     practically impossible, by code).
//  4. Places are given in rounds: in each round every requester, in lottery order, gets the
//     first course of their ranked list that they do not hold yet, that has a free place, that
//     does not clash in time with a course they hold, and that keeps them within the extended-
//     course limit. Round r gives each requester at most one course, so everybody's first
//     course is settled before anybody's second; there are as many rounds as the most courses a
//     child may take. A child who loses its first choice thus competes for its next, and no
//     course is ever over capacity.
//  5. Afterwards each course's waiting list is the requesters who ranked it and did not get
//     it but could still take it (free of clashes, within the limits), in lottery order.
//
// Draw is a pure function of the published data, so `kehou verify-draw` and the server compute
// the same result from it.

// ErrCommitment means the revealed seed does not match the published commitment.
var ErrCommitment = errors.New("the seed does not match the published commitment")

// Commitment is what the school publishes before the window opens.
func Commitment(seed string) string {
	sum := sha256.Sum256([]byte("kehou-draw-v1:" + seed))
	return hex.EncodeToString(sum[:])
}

// LotteryNumber is a requester's place in the draw order: smaller draws first.
func LotteryNumber(seed, code string) string {
	sum := sha256.Sum256([]byte(seed + ":" + code))
	return hex.EncodeToString(sum[:])
}

// DrawCourse is a course as the draw sees it.
type DrawCourse struct {
	ID       string `json:"id"`
	Capacity int    `json:"capacity"`
	Weekday  int    `json:"weekday"`
	Start    string `json:"start"`
	End      string `json:"end"`
	Extended bool   `json:"extended"`
}

// DrawRequest is one child's anonymised, ranked request.
type DrawRequest struct {
	Code    string   `json:"code"`
	Choices []string `json:"choices"`
}

// DrawRules are the limits per child.
type DrawRules struct {
	MaxCourses  int `json:"max_courses"`
	MaxExtended int `json:"max_extended"` // 0: no limit beyond MaxCourses
}

// DrawInput is the published data a draw is computed from.
type DrawInput struct {
	Commitment string        `json:"commitment"`
	Seed       string        `json:"seed"`
	Rules      DrawRules     `json:"rules"`
	Courses    []DrawCourse  `json:"courses"`
	Requests   []DrawRequest `json:"requests"`
}

// DrawResult is the allocation: who got what, who waits where, and the draw order.
type DrawResult struct {
	Order   []string            `json:"order"`   // codes in lottery order
	Placed  map[string][]string `json:"placed"`  // code → courses, in the order given
	Waiting map[string][]string `json:"waiting"` // course → codes, in lottery order
}

// Clash reports whether two courses meet at the same time.
func (c DrawCourse) Clash(o DrawCourse) bool {
	if c.Weekday != o.Weekday {
		return false
	}
	s1, _ := ParseClock(c.Start)
	e1, _ := ParseClock(c.End)
	s2, _ := ParseClock(o.Start)
	e2, _ := ParseClock(o.End)
	return s1 < e2 && s2 < e1
}

// Draw allocates the places; ErrCommitment when the seed is not the committed one.
func Draw(in DrawInput) (DrawResult, error) {
	if Commitment(in.Seed) != strings.ToLower(in.Commitment) {
		return DrawResult{}, ErrCommitment
	}
	courses := map[string]DrawCourse{}
	free := map[string]int{}
	for _, c := range in.Courses {
		courses[c.ID], free[c.ID] = c, c.Capacity
	}
	reqs := slices.Clone(in.Requests)
	nums := map[string]string{}
	for _, r := range reqs {
		nums[r.Code] = LotteryNumber(in.Seed, r.Code)
	}
	slices.SortFunc(reqs, func(a, b DrawRequest) int {
		if c := strings.Compare(nums[a.Code], nums[b.Code]); c != 0 {
			return c
		}
		return strings.Compare(a.Code, b.Code)
	})
	res := DrawResult{Placed: map[string][]string{}, Waiting: map[string][]string{}}
	for _, r := range reqs {
		res.Order = append(res.Order, r.Code)
	}
	fits := func(held []string, id string) bool {
		c, ok := courses[id]
		if !ok || slices.Contains(held, id) || len(held) >= max(in.Rules.MaxCourses, 1) {
			return false
		}
		ext := 0
		for _, h := range held {
			if courses[h].Clash(c) {
				return false
			}
			if courses[h].Extended {
				ext++
			}
		}
		return !c.Extended || in.Rules.MaxExtended == 0 || ext < in.Rules.MaxExtended
	}
	for round := 0; round < max(in.Rules.MaxCourses, 1); round++ {
		for _, r := range reqs {
			held := res.Placed[r.Code]
			if len(held) != round {
				continue // got nothing in an earlier round: nothing will fit now either
			}
			for _, id := range r.Choices {
				if free[id] > 0 && fits(held, id) {
					free[id]--
					res.Placed[r.Code] = append(held, id)
					break
				}
			}
		}
	}
	for _, r := range reqs {
		for _, id := range r.Choices {
			if fits(res.Placed[r.Code], id) {
				res.Waiting[id] = append(res.Waiting[id], r.Code)
			}
		}
	}
	return res, nil
}
