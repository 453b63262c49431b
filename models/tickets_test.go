package models

import (
	"testing"
	"time"
)

func TestParseTickets(t *testing.T) {
	rows := [][]string{
		{"\ufeff工单编号", "受理日期", "学校", "类别", "诉求内容"},
		{"GD1", "2026-11-20", "甲一小学", "收费", "收费未公示"},
		{"GD2", "2026/11/21 08:30", "", "未知类别", "内容"},
		{"", "", "", "", ""},
		{"GD3", "11月20日", "甲一小学", "安全", "x"},
		{"GD1", "2026-11-22", "甲一小学", "安全", "重复工单"},
		{"GD4", "2026-11-22", "甲一小学", "安全", ""},
	}
	got, errs, err := ParseTickets(rows)
	if err != nil || len(got) != 2 || len(errs) != 3 {
		t.Fatalf("rows %+v, errors %+v, %v", got, errs, err)
	}
	if got[0].Category != "fees" || got[1].Category != "other" || got[1].ReceivedOn.In(Shanghai).Format("2006-01-02") != "2026-11-21" {
		t.Fatalf("parsed: %+v", got)
	}
	if errs[0].Line != 5 || errs[1].Line != 6 || errs[2].Line != 7 {
		t.Fatalf("lines: %+v", errs)
	}
	if _, _, err := ParseTickets([][]string{{"编号", "内容"}}); err != ErrTicketHeader {
		t.Fatalf("header: %v", err)
	}
}

func TestWorkingDaysAndTransitions(t *testing.T) {
	fri, _ := ParseDay("2026-11-27")
	if got := AddWorkingDays(fri.Add(10*time.Hour), 5).In(Shanghai).Format("2006-01-02 15:04:05"); got != "2026-12-04 23:59:59" {
		t.Fatalf("5 working days from a Friday: %s", got)
	}
	sat, _ := ParseDay("2026-11-28")
	if got := AddWorkingDays(sat, 1).In(Shanghai).Format("2006-01-02"); got != "2026-11-30" {
		t.Fatalf("1 working day from a Saturday: %s", got)
	}
	cases := []struct {
		from, to, actor string
		ok              bool
	}{
		{ComplaintReceived, ComplaintAssigned, ActorCounty, true},
		{ComplaintReceived, ComplaintAssigned, ActorSchool, false},
		{ComplaintAssigned, ComplaintRectified, ActorSchool, true},
		{ComplaintAssigned, ComplaintClosed, ActorCounty, false},
		{ComplaintRectified, ComplaintInProgress, ActorCounty, true},
		{ComplaintRectified, ComplaintDismissed, ActorCounty, false},
		{ComplaintVerified, ComplaintClosed, ActorCounty, true},
		{ComplaintClosed, ComplaintAssigned, ActorCounty, false},
	}
	for _, c := range cases {
		if got := CanMove(c.from, c.to, c.actor) == ""; got != c.ok {
			t.Errorf("%s → %s by %s: %v", c.from, c.to, c.actor, got)
		}
	}
}
