package jobs

import (
	"context"
	"fmt"

	"github.com/hibiken/asynq"

	"kehou/models"
)

// TypeComplaintSweep escalates overdue complaints and opens the half-yearly look-backs.
const TypeComplaintSweep = "complaints:sweep"

// NewComplaintSweepTask looks for overdue complaints and due look-backs (periodic).
func NewComplaintSweepTask() *asynq.Task { return asynq.NewTask(TypeComplaintSweep, nil) }

// ComplaintNotice tells the parent who complained of progress.
func ComplaintNotice(cp models.Complaint, body string) models.Notice {
	return models.Notice{Kind: models.NoticeGeneral, Title: "投诉办理进展：" + models.ComplaintStatusNames[cp.Status], Body: body,
		Link: "pages/complaint/detail?id=" + cp.ID, Audience: models.Audience{Kind: models.AudienceMembers, MemberIDs: []string{cp.MemberID}},
		Channels: append([]string{}, FamilyChannels...), CountyID: cp.CountyID, Sender: "教育局"}
}

// HandleComplaintSweep escalates every complaint past its deadline to its county, once: the
// step is recorded on the complaint (the county's ledger shows it) and the county's group
// robots are told; and it opens the look-back of complaints closed six months ago.
func (h *Handlers) HandleComplaintSweep(ctx context.Context, _ *asynq.Task) error {
	now := h.now()
	overdue, err := h.Store.OverdueComplaints(ctx, now)
	if err != nil {
		return err
	}
	for _, cp := range overdue {
		ok, err := h.Store.ClaimEscalation(ctx, cp.ID)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		robots, err := h.Store.Robots(ctx, models.Scope{Role: models.RoleCounty, CountyID: cp.CountyID})
		if err != nil {
			return err
		}
		var ids []string
		for _, r := range robots {
			if r.SchoolID == "" { // the county's own groups, not its schools'
				ids = append(ids, r.ID)
			}
		}
		if len(ids) == 0 {
			h.Log.Info("complaint escalated; the county has no group robot", "complaint", cp.ID)
			continue
		}
		ref := cp.SourceRef
		if ref == "" {
			ref = cp.ID
		}
		n := models.Notice{Kind: models.NoticeGeneral, Title: "投诉逾期未办结：" + ref,
			Body: fmt.Sprintf("%s来件（%s，%s）交办后已超过办理时限（%s），请督办。内容：%s", models.SourceNames[cp.Source], ref,
				models.ComplaintCategoryNames[cp.Category], cp.Deadline.In(models.Shanghai).Format("1月2日"), cp.Summary()),
			Audience: models.Audience{Kind: models.AudienceMembers}, Channels: []string{}, CountyID: cp.CountyID, Sender: "投诉督办",
			Robots: ids, Urgent: true}
		if err := h.notify(ctx, n); err != nil {
			return err
		}
	}
	opened, err := h.Store.OpenLookBacks(ctx, now.Add(-models.LookBackAfter))
	if err != nil {
		return err
	}
	if len(opened) > 0 {
		h.Log.Info("look-backs opened", "count", len(opened))
	}
	return nil
}
