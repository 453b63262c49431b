package server

import (
	"context"
	"net/http"
	neturl "net/url"
	"slices"
	"strings"
	"testing"

	"kehou/models"
	"kehou/store"
)

func TestCreateNoticeValidationAndScope(t *testing.T) {
	e := newEnv(t)
	e.importRoster(e.schoolA1.ID, goodRoster)
	post := func(token string, body map[string]any) resp {
		return e.req(http.MethodPost, "/api/v1/admin/notices", token, body)
	}
	good := map[string]any{"kind": "open_day", "title": "家长开放日", "body": "欢迎参加。",
		"audience": map[string]any{"kind": "grades", "grades": []int{3}}, "channels": []string{"wxsubscribe", "sms"}}
	r := post(e.schA1, good)
	e.expect(r, http.StatusCreated, "")
	var n models.Notice
	r.json(t, &n)
	if n.SchoolID != e.schoolA1.ID || n.Sender != "甲一小学" || n.Status != models.NoticeScheduled {
		t.Fatalf("notice: %+v", n)
	}

	tests := []struct {
		name   string
		token  string
		body   map[string]any
		status int
		field  string
	}{
		{"missing title", e.schA1, map[string]any{"body": "x", "audience": map[string]any{"kind": "scope"}}, 422, "title"},
		{"unknown channel", e.schA1, map[string]any{"title": "t", "body": "x", "audience": map[string]any{"kind": "scope"}, "channels": []string{"fax"}}, 422, "channels"},
		{"bad grade", e.schA1, map[string]any{"title": "t", "body": "x", "audience": map[string]any{"kind": "grades", "grades": []int{12}}}, 422, "audience.grades"},
		{"no audience", e.schA1, map[string]any{"title": "t", "body": "x"}, 422, "audience.kind"},
		{"another school's classes", e.schA1, map[string]any{"title": "t", "body": "x",
			"audience": map[string]any{"kind": "classes", "classes": []map[string]any{{"school_id": e.schoolB1.ID, "grade": 3, "class": "1班"}}}}, 422, "audience"},
		{"another county's school", e.cntyA, map[string]any{"title": "t", "body": "x",
			"audience": map[string]any{"kind": "schools", "school_ids": []string{e.schoolB1.ID}}}, 422, "audience"},
		{"unknown field", e.schA1, map[string]any{"title": "t", "body": "x", "audience": map[string]any{"kind": "scope"}, "priority": 1}, 400, "priority"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := post(tt.token, tt.body)
			if r.Code != tt.status || r.envelope(t).Fields[tt.field] == "" {
				t.Fatalf("got %d %s, want %d naming %s", r.Code, r.Body, tt.status, tt.field)
			}
		})
	}
	// Another school cannot see or cancel it; its own school can cancel it before it goes out.
	otherSchool, _ := e.staffSession("school-b1", scopeB1(e))
	e.expect(e.req(http.MethodGet, "/api/v1/admin/notices/"+n.ID, otherSchool, nil), http.StatusNotFound, "not_found")
	e.expect(e.req(http.MethodPost, "/api/v1/admin/notices/"+n.ID+"/cancel", otherSchool, nil), http.StatusNotFound, "not_found")
	e.expect(e.req(http.MethodGet, "/api/v1/admin/notices/"+n.ID, e.cntyA, nil), http.StatusOK, "")
	e.expect(e.req(http.MethodGet, "/api/v1/admin/notices/"+n.ID+"/deliveries?status=queued", e.cntyA, nil), http.StatusOK, "")
	e.expect(e.req(http.MethodGet, "/api/v1/admin/notices/"+n.ID+"/deliveries?status=sending", e.cntyA, nil), http.StatusUnprocessableEntity, "validation_failed")
	e.expect(e.req(http.MethodPost, "/api/v1/admin/notices/"+n.ID+"/cancel", e.schA1, nil), http.StatusOK, "")
	e.expect(e.req(http.MethodPost, "/api/v1/admin/notices/"+n.ID+"/cancel", e.schA1, nil), http.StatusConflict, "notice_not_cancellable")
	e.expect(e.req(http.MethodPost, "/api/v1/admin/notices/"+n.ID+"/remind", e.schA1, map[string]any{"unconfirmed": true}), http.StatusUnprocessableEntity, "validation_failed")
}

func TestInboxIsPerRecipient(t *testing.T) {
	e := newEnv(t)
	mum, dad := e.parent("mum"), e.parent("dad")
	ctx := context.Background()
	n := models.Notice{SchoolID: e.schoolA1.ID, CountyID: e.countyA.ID, Sender: "甲一小学", Kind: models.NoticeGeneral,
		Title: "通知", Body: "内容", RequireConfirm: true, Audience: models.Audience{Kind: models.AudienceScope}}
	if err := e.st.CreateNotice(ctx, &n); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.AddRecipients(ctx, n, []string{e.memberID(mum)}); err != nil {
		t.Fatal(err)
	}
	var inbox listBody[inboxItem]
	e.req(http.MethodGet, "/api/v1/mp/notices", mum, nil).json(t, &inbox)
	if len(inbox.Items) != 1 || inbox.Items[0].Title != "通知" || !inbox.Items[0].ReadAt.IsZero() {
		t.Fatalf("inbox: %+v", inbox.Items)
	}
	e.expect(e.req(http.MethodGet, "/api/v1/mp/notices/"+n.ID, dad, nil), http.StatusNotFound, "not_found")
	e.expect(e.req(http.MethodPost, "/api/v1/mp/notices/"+n.ID+"/confirm", dad, nil), http.StatusNotFound, "not_found")
	r := e.req(http.MethodPost, "/api/v1/mp/notices/"+n.ID+"/confirm", mum, nil)
	e.expect(r, http.StatusOK, "")
	var item inboxItem
	r.json(t, &item)
	if item.ReadAt.IsZero() || item.ConfirmedAt.IsZero() {
		t.Fatalf("confirm must mark read and confirmed: %+v", item)
	}
	var detail noticeDetail
	e.req(http.MethodGet, "/api/v1/admin/notices/"+n.ID, e.schA1, nil).json(t, &detail)
	if detail.Report.Targeted != 1 || detail.Report.Read != 1 || detail.Report.Confirmed != 1 {
		t.Fatalf("report: %+v", detail.Report)
	}
}

func TestSubscriptionsAndPhone(t *testing.T) {
	e := newEnv(t)
	mum := e.parent("mum")
	r := e.req(http.MethodPost, "/api/v1/mp/subscriptions", mum, map[string]any{"results": map[string]string{"sandbox-notice": "accept"}})
	e.expect(r, http.StatusOK, "")
	e.req(http.MethodPost, "/api/v1/mp/subscriptions", mum, map[string]any{"results": map[string]string{"sandbox-notice": "accept"}})
	var subs listBody[templateBody]
	e.req(http.MethodGet, "/api/v1/mp/subscriptions", mum, nil).json(t, &subs)
	if len(subs.Items) != 1 || subs.Items[0].Credits != 2 {
		t.Fatalf("two accepts must be two credits: %+v", subs.Items)
	}
	e.expect(e.req(http.MethodPost, "/api/v1/mp/subscriptions", mum, map[string]any{"results": map[string]string{"made-up": "accept"}}), http.StatusUnprocessableEntity, "validation_failed")
	e.expect(e.req(http.MethodPost, "/api/v1/mp/subscriptions", mum, map[string]any{"results": map[string]string{"sandbox-notice": "maybe"}}), http.StatusUnprocessableEntity, "validation_failed")

	r = e.req(http.MethodPost, "/api/v1/mp/phone", mum, map[string]string{"code": "devphone:13812345678"})
	e.expect(r, http.StatusOK, "")
	if !strings.Contains(string(r.Body), "138****5678") || strings.Contains(string(r.Body), "13812345678") {
		t.Fatalf("phone answer must be masked: %s", r.Body)
	}
	m, _ := e.st.Member(context.Background(), e.memberID(mum))
	if phone, _ := e.st.Phone(m); phone != "+8613812345678" || strings.Contains(string(m.PhoneEnc), "13812345678") {
		t.Fatalf("phone stored as %q (must be encrypted at rest)", phone)
	}
	e.expect(e.req(http.MethodPost, "/api/v1/mp/phone", mum, map[string]string{"code": "bogus"}), http.StatusUnprocessableEntity, "validation_failed")
}

// A notice's delivery list pages through the API with the cursor it hands out, over send
// batches named as the fan-out names them.
func TestDeliveriesPageThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	n := models.Notice{SchoolID: e.schoolA1.ID, CountyID: e.countyA.ID, Sender: "甲一小学", Kind: models.NoticeGeneral,
		Title: "通知", Body: "内容", Audience: models.Audience{Kind: models.AudienceScope}}
	if err := e.st.CreateNotice(ctx, &n); err != nil {
		t.Fatal(err)
	}
	var want []string
	for k, key := range []string{"notice:send:" + n.ID + ":sms:b0:0", "notice:send:" + n.ID + ":sms:b0:0:fb:wxsubscribe"} {
		members := []string{store.NewID(), store.NewID()}
		if _, err := e.st.EnsureBatch(ctx, n.ID, []string{"sms", "wxsubscribe"}[k], key, members, nil); err != nil {
			t.Fatal(err)
		}
		slices.Sort(members)
		want = append(want, members...)
	}
	var got []string
	url := "/api/v1/admin/notices/" + n.ID + "/deliveries?limit=1"
	for page := url; ; {
		var body listBody[models.Delivery]
		r := e.req(http.MethodGet, page, e.schA1, nil)
		e.expect(r, http.StatusOK, "")
		r.json(t, &body)
		for _, d := range body.Items {
			got = append(got, d.MemberID)
		}
		if body.NextCursor == "" {
			break
		}
		page = url + "&cursor=" + neturl.QueryEscape(body.NextCursor)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("paged deliveries %v, want %v", got, want)
	}
}

// The delivery report shows each family's number masked, and finds a family by its number.
func TestDeliveriesShowAndFindPhones(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	mum, dad := e.parent("mum"), e.parent("dad")
	e.expect(e.req(http.MethodPost, "/api/v1/mp/phone", mum, map[string]string{"code": "devphone:13812345678"}), http.StatusOK, "")
	n := models.Notice{SchoolID: e.schoolA1.ID, CountyID: e.countyA.ID, Sender: "甲一小学", Kind: models.NoticeGeneral,
		Title: "通知", Body: "内容", Audience: models.Audience{Kind: models.AudienceScope}}
	if err := e.st.CreateNotice(ctx, &n); err != nil {
		t.Fatal(err)
	}
	members := []string{e.memberID(mum), e.memberID(dad)}
	if _, err := e.st.EnsureBatch(ctx, n.ID, "sms", "notice:send:"+n.ID+":sms:b0:0", members, nil); err != nil {
		t.Fatal(err)
	}
	url := "/api/v1/admin/notices/" + n.ID + "/deliveries"
	var all listBody[recipientDelivery]
	r := e.req(http.MethodGet, url, e.schA1, nil)
	e.expect(r, http.StatusOK, "")
	r.json(t, &all)
	phones := map[string]string{}
	for _, d := range all.Items {
		phones[d.MemberID] = d.Phone
	}
	if len(all.Items) != 2 || phones[e.memberID(mum)] != "138****5678" || phones[e.memberID(dad)] != "" || strings.Contains(string(r.Body), "13812345678") {
		t.Fatalf("deliveries: %s", r.Body)
	}
	cases := []struct {
		name, phone string
		want        []string
	}{
		{"typed with spaces", "138 1234 5678", []string{e.memberID(mum)}},
		{"with the country code", "+8613812345678", []string{e.memberID(mum)}},
		{"nobody's number", "13900000000", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var body listBody[recipientDelivery]
			r := e.req(http.MethodGet, url+"?phone="+neturl.QueryEscape(tc.phone), e.schA1, nil)
			e.expect(r, http.StatusOK, "")
			r.json(t, &body)
			var got []string
			for _, d := range body.Items {
				got = append(got, d.MemberID)
			}
			if !slices.Equal(got, tc.want) || body.NextCursor != "" {
				t.Fatalf("found %v, want %v", got, tc.want)
			}
		})
	}
	e.expect(e.req(http.MethodGet, url+"?phone=5678", e.schA1, nil), http.StatusUnprocessableEntity, "validation_failed")
}

// A reminder keeps the notice's urgency: a reminder of an urgent notice does not wait out the
// quiet hours, and one of an ordinary notice does.
func TestReminderKeepsUrgency(t *testing.T) {
	e := newEnv(t)
	for _, urgent := range []bool{true, false} {
		var n, reminder models.Notice
		r := e.req(http.MethodPost, "/api/v1/admin/notices", e.schA1, map[string]any{"title": "开放日", "body": "欢迎参加。",
			"audience": map[string]any{"kind": "scope"}, "urgent": urgent, "require_confirm": true})
		e.expect(r, http.StatusCreated, "")
		r.json(t, &n)
		r = e.req(http.MethodPost, "/api/v1/admin/notices/"+n.ID+"/remind", e.schA1, map[string]any{"unconfirmed": true})
		e.expect(r, http.StatusCreated, "")
		r.json(t, &reminder)
		if reminder.Urgent != urgent || reminder.Title != "提醒：开放日" {
			t.Fatalf("reminder of a notice urgent=%v: %+v", urgent, reminder)
		}
	}
}
