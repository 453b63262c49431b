package jobs

import (
	"context"
	"testing"
	"time"

	"kehou/models"
	"kehou/store"
)

// TestSMSFallsBackToTheRosterNumber: a parent who never authorised a number gets SMS at the
// roster's guardian number; when both parents of a pupil fall back to it, it receives the notice
// once; a number the parent authorised wins over the roster's.
func TestSMSFallsBackToTheRosterNumber(t *testing.T) {
	e := newBC(t, 1) // pupil S00000, whose parent authorised e.phones[0]
	ctx := context.Background()
	rows := []models.RosterRow{
		{StudentNo: "S00000", Name: "学生0", Grade: 3, Class: "1班", Phone: "+8613922220000"},
		{StudentNo: "R00001", Name: "学生甲", Grade: 3, Class: "2班", Phone: "+8613911110000"},
		{StudentNo: "R00002", Name: "学生乙", Grade: 3, Class: "2班"},
	}
	_, err := e.st.ImportRoster(ctx, e.school, rows)
	must(t, err)
	kids, _, err := e.st.Children(ctx, e.school.ID, 3, "2班", store.Page{Limit: 10})
	must(t, err)
	byNo := map[string]models.Child{}
	for _, k := range kids {
		byNo[k.StudentNo] = k
	}
	if byNo["R00001"].PhoneMasked != "139****0000" || len(byNo["R00001"].PhoneEnc) == 0 {
		t.Fatalf("roster number not stored encrypted and masked: %+v", byNo["R00001"])
	}
	ms, err := e.st.CreateMembers(ctx, []store.NewMember{{OpenID: "mum"}, {OpenID: "dad"}, {OpenID: "aunt"}})
	must(t, err)
	must(t, e.st.AddGuardianships(ctx, []models.Guardianship{
		{ChildID: byNo["R00001"].ID, MemberID: ms[0].ID, SchoolID: e.school.ID, CountyID: e.school.CountyID},
		{ChildID: byNo["R00001"].ID, MemberID: ms[1].ID, SchoolID: e.school.ID, CountyID: e.school.CountyID},
		{ChildID: byNo["R00002"].ID, MemberID: ms[2].ID, SchoolID: e.school.ID, CountyID: e.school.CountyID},
	}))
	e.start()
	n := e.notice("sms")
	rep := e.settle(n, 60*time.Second)
	got := map[string]int{}
	for _, m := range e.sms.Sent() {
		got[m.Phone]++
	}
	if got["+8613911110000"] != 1 || got["+8613922220000"] != 0 || len(e.sms.Sent()) != 2 {
		t.Fatalf("SMS received by number: %v", got)
	}
	if rep.Channels["sms"]["sent"] != 2 || rep.Reasons["same_number"] != 1 || rep.Reasons["no_phone"] != 1 {
		t.Fatalf("report: %+v", rep)
	}
}
