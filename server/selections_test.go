package server

import (
	"net/http"
	"reflect"
	"testing"
	"time"

	"kehou/models"
)

// menu creates and publishes a menu of A1 for grade 3: clay (2 places, Monday), chess (10,
// Monday at the same time: a clash), running (10, Tuesday), for one course per child.
func (e *env) menu(token string) models.Selection {
	e.t.Helper()
	course := func(name, cat string, wd, capacity int) map[string]any {
		return map[string]any{"name": name, "category": cat, "grades": []int{3}, "weekday": wd, "start": "16:30", "end": "17:30", "capacity": capacity, "teacher": "王老师"}
	}
	r := e.req(http.MethodPost, "/api/v1/admin/selections", token, map[string]any{"term": "2026-autumn", "title": "三年级社团选课",
		"courses": []map[string]any{course("陶艺", "arts", 1, 2), course("围棋", "clubs", 1, 10), course("跑步", "sports", 2, 10)},
		"rules":   map[string]any{"max_courses": 2, "max_extended": 1, "max_choices": 3}, "opens": e.now, "closes": e.now.Add(48 * time.Hour)})
	e.expect(r, http.StatusCreated, "")
	var sel models.Selection
	r.json(e.t, &sel)
	if len(sel.Commitment) != 64 || sel.Seed != "" {
		e.t.Fatalf("commitment: %+v", sel)
	}
	e.expect(e.req(http.MethodPost, "/api/v1/admin/selections/"+sel.ID+"/publish", token, map[string]any{"channels": []string{"wxsubscribe"}}), http.StatusOK, "")
	return sel
}

// TestCourseSelectionDraw: families rank courses within the rules, the draw after the close
// is reproducible from the public data, nobody exceeds capacity or clashes, and a dropped place
// goes to the first child waiting.
func TestCourseSelectionDraw(t *testing.T) {
	e := newEnv(t)
	fams := e.families(e.schoolA1, "A1", 3, 6)
	sel := e.menu(e.schA1)
	clay, chess, running := sel.Courses[0].ID, sel.Courses[1].ID, sel.Courses[2].ID
	url := "/api/v1/mp/selections/" + sel.ID
	// Before the close the public draw shows the commitment but no requests.
	var pub publicDraw
	e.req(http.MethodGet, "/api/v1/public/draws/"+sel.ID, "", nil).json(t, &pub)
	if pub.Input.Commitment != sel.Commitment || len(pub.Input.Requests) != 0 || pub.Input.Seed != "" || pub.Result != nil {
		t.Fatalf("public draw before the close: %+v", pub)
	}
	// Bad choices: unknown course, repeated, too many.
	r := e.req(http.MethodPut, url+"/requests", fams[0].token, map[string]any{"child_id": fams[0].childID, "choices": []string{"nope", clay, clay, chess}})
	if f := r.envelope(t).Fields; f["choices[0]"] == "" || f["choices[2]"] == "" || f["choices"] == "" {
		t.Fatalf("bad choices: %s", r.Body)
	}
	for _, f := range fams {
		e.expect(e.req(http.MethodPut, url+"/requests", f.token, map[string]any{"child_id": f.childID, "choices": []string{clay, chess, running}}), http.StatusOK, "")
	}
	var mine mySelection
	e.req(http.MethodGet, url, fams[0].token, nil).json(t, &mine)
	if len(mine.Children) != 1 || !reflect.DeepEqual(mine.Children[0].Choices, []string{clay, chess, running}) || mine.Children[0].Code == "" || !mine.CanChange {
		t.Fatalf("my selection: %+v", mine)
	}
	e.expect(e.req(http.MethodPost, "/api/v1/admin/selections/"+sel.ID+"/draw", e.schA1, nil), http.StatusConflict, "selection_open")

	// After the close: no more changes; the draw.
	e.now = e.now.Add(49 * time.Hour)
	e.expect(e.req(http.MethodPut, url+"/requests", fams[0].token, map[string]any{"child_id": fams[0].childID, "choices": []string{running}}), http.StatusConflict, "selection_closed")
	b1 := e.relogin()
	e.expect(e.req(http.MethodPost, "/api/v1/admin/selections/"+sel.ID+"/draw", b1, nil), http.StatusNotFound, "not_found")
	r = e.req(http.MethodPost, "/api/v1/admin/selections/"+sel.ID+"/draw", e.schA1, nil)
	e.expect(r, http.StatusOK, "")
	r.json(t, &pub)
	if pub.Input.Seed == "" || models.Commitment(pub.Input.Seed) != sel.Commitment || len(pub.Input.Requests) != 6 || pub.Result == nil {
		t.Fatalf("published draw: %+v", pub)
	}
	again, err := models.Draw(pub.Input)
	if err != nil || !reflect.DeepEqual(again.Placed, pub.Result.Placed) {
		t.Fatalf("recomputed from the public data: %v %+v", err, again)
	}
	// Two got clay, the other four chess (clay clashes with chess, one extended at most), all running.
	res := *pub.Result
	count := map[string]int{}
	for _, held := range res.Placed {
		for _, id := range held {
			count[id]++
		}
	}
	if count[clay] != 2 || count[chess] != 4 || count[running] != 6 {
		t.Fatalf("allocation: %v", count)
	}
	e.expect(e.req(http.MethodPost, "/api/v1/admin/selections/"+sel.ID+"/draw", e.schA1, nil), http.StatusConflict, "event_state")

	// The families see their results; the clay winner drops it, and the first child waiting
	// for clay gets it (and its chess place stays: clay clashes with chess, so the waiting list
	// for clay is empty here, and the place is simply free).
	winner := res.Order[0]
	var fw family
	for _, f := range fams {
		var ms mySelection
		e.req(http.MethodGet, url, f.token, nil).json(t, &ms)
		if ms.Children[0].Code == winner {
			fw = f
			if !reflect.DeepEqual(ms.Children[0].Placed, []string{clay, running}) {
				t.Fatalf("winner's courses: %+v", ms.Children[0])
			}
		}
	}
	if fw.token == "" {
		t.Fatal("no family holds the first code")
	}
	e.expect(e.req(http.MethodPost, url+"/drop", fw.token, map[string]any{"child_id": fw.childID, "course_id": clay}), http.StatusOK, "")
	var after mySelection
	e.req(http.MethodGet, url, fw.token, nil).json(t, &after)
	if !reflect.DeepEqual(after.Children[0].Placed, []string{running}) {
		t.Fatalf("after dropping: %+v", after.Children[0])
	}
	// Another school sees nothing of the menu.
	e.expect(e.req(http.MethodGet, "/api/v1/admin/selections/"+sel.ID, b1, nil), http.StatusNotFound, "not_found")
}

// TestWaitingListMovesAfterTheDraw: with one course per child, the losers of an oversubscribed
// course wait for it in lottery order; a dropped place goes to the first, who is told.
func TestWaitingListMovesAfterTheDraw(t *testing.T) {
	e := newEnv(t)
	fams := e.families(e.schoolA1, "W", 3, 4)
	r := e.req(http.MethodPost, "/api/v1/admin/selections", e.schA1, map[string]any{"term": "2026-autumn", "title": "陶艺课",
		"courses": []map[string]any{{"name": "陶艺", "category": "arts", "weekday": 1, "start": "16:30", "end": "17:30", "capacity": 2}},
		"rules":   map[string]any{"max_courses": 1, "max_extended": 1, "max_choices": 1}, "opens": e.now, "closes": e.now.Add(time.Hour)})
	var sel models.Selection
	r.json(t, &sel)
	e.expect(e.req(http.MethodPost, "/api/v1/admin/selections/"+sel.ID+"/publish", e.schA1, map[string]any{}), http.StatusOK, "")
	clay := sel.Courses[0].ID
	for _, f := range fams {
		e.expect(e.req(http.MethodPut, "/api/v1/mp/selections/"+sel.ID+"/requests", f.token, map[string]any{"child_id": f.childID, "choices": []string{clay}}), http.StatusOK, "")
	}
	e.now = e.now.Add(2 * time.Hour)
	e.relogin()
	var pub publicDraw
	e.req(http.MethodPost, "/api/v1/admin/selections/"+sel.ID+"/draw", e.schA1, nil).json(t, &pub)
	res := pub.Result
	if len(res.Placed) != 2 || !reflect.DeepEqual(res.Waiting[clay], res.Order[2:]) {
		t.Fatalf("draw: %+v", res)
	}
	codeOf := map[string]family{}
	for _, f := range fams {
		var ms mySelection
		e.req(http.MethodGet, "/api/v1/mp/selections/"+sel.ID, f.token, nil).json(t, &ms)
		codeOf[ms.Children[0].Code] = f
	}
	first, next := codeOf[res.Order[0]], codeOf[res.Order[2]]
	e.expect(e.req(http.MethodPost, "/api/v1/mp/selections/"+sel.ID+"/drop", first.token, map[string]any{"child_id": first.childID, "course_id": clay}), http.StatusOK, "")
	var ms mySelection
	e.req(http.MethodGet, "/api/v1/mp/selections/"+sel.ID, next.token, nil).json(t, &ms)
	if !reflect.DeepEqual(ms.Children[0].Placed, []string{clay}) {
		t.Fatalf("the first waiting child after the drop: %+v", ms.Children[0])
	}
}
