package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kehou/models"
)

// InboxItem is a notice as one recipient sees it.
type InboxItem struct {
	Notice  models.Notice
	Receipt models.Receipt
}

// Inbox lists a member's notices, newest first; cursor is the last receipt id of the previous
// page. Notices not yet due (scheduled later) do not appear, nor cancelled ones.
func (s *Store) Inbox(ctx context.Context, memberID string, p Page) ([]InboxItem, string, error) {
	f := bson.M{"member_id": memberID}
	if p.Cursor != "" {
		f["_id"] = bson.M{"$lt": p.Cursor}
	}
	n := p.limit()
	var rs []models.Receipt
	// Receipt ids start with the notice id, which is time-ordered: newest notices first, and
	// the cursor follows the same order.
	opts := options.Find().SetSort(bson.D{{Key: "_id", Value: -1}}).SetLimit(n + 1)
	if err := s.all(ctx, colReceipts, f, opts, &rs); err != nil {
		return nil, "", fmt.Errorf("inbox: %w", err)
	}
	next := ""
	if int64(len(rs)) > n {
		rs = rs[:n]
		next = rs[len(rs)-1].ID
	}
	out := make([]InboxItem, 0, len(rs))
	for _, r := range rs {
		nt, err := s.Notice(ctx, r.NoticeID())
		if err != nil {
			return nil, "", err
		}
		if nt.Status == models.NoticeCancelled || nt.SendAt.After(s.now()) {
			continue
		}
		out = append(out, InboxItem{Notice: nt, Receipt: r})
	}
	return out, next, nil
}

// Receipt returns one member's receipt of a notice (ErrNotFound when not a recipient).
func (s *Store) Receipt(ctx context.Context, noticeID, memberID string) (models.Receipt, error) {
	return findOne[models.Receipt](ctx, s.c(colReceipts), bson.M{"_id": models.ReceiptID(noticeID, memberID)})
}

// MarkReceipt sets read_at (and confirmed_at when confirm) once; later calls keep the first
// time. A confirmation is counted for the monthly report exactly once: a repeat finds a
// confirmation stored but not yet counted (its counter write failed) and counts it.
func (s *Store) MarkReceipt(ctx context.Context, noticeID, memberID string, confirm bool) (models.Receipt, error) {
	id := models.ReceiptID(noticeID, memberID)
	now := s.now()
	if _, err := s.c(colReceipts).UpdateOne(ctx, bson.M{"_id": id, "read_at": bson.M{"$exists": false}}, bson.M{"$set": bson.M{"read_at": now}}); err != nil {
		return models.Receipt{}, fmt.Errorf("mark read: %w", err)
	}
	if confirm {
		res, err := s.c(colReceipts).UpdateOne(ctx, bson.M{"_id": id, "confirmed_at": bson.M{"$exists": false}}, bson.M{"$set": bson.M{"confirmed_at": now}})
		if err != nil {
			return models.Receipt{}, fmt.Errorf("mark confirmed: %w", err)
		}
		if err := s.countConfirmation(ctx, noticeID, id, now, res.ModifiedCount == 1); err != nil {
			return models.Receipt{}, err
		}
	}
	return s.Receipt(ctx, noticeID, memberID)
}

// countConfirmation counts a receipt's confirmation for the notice's sender, in the month it
// was confirmed, unless it is counted already. fresh says it was confirmed just now, at.
func (s *Store) countConfirmation(ctx context.Context, noticeID, receiptID string, at time.Time, fresh bool) error {
	if !fresh {
		rc, err := findOne[struct {
			ConfirmedAt time.Time `bson:"confirmed_at"`
			Counted     bool      `bson:"counted"`
		}](ctx, s.c(colReceipts), bson.M{"_id": receiptID})
		if errors.Is(err, ErrNotFound) || (err == nil && (rc.Counted || rc.ConfirmedAt.IsZero())) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("count confirmation: %w", err)
		}
		at = rc.ConfirmedAt
		if done, err := s.countedByRecount(ctx, at); err != nil || done {
			return err
		}
	}
	n, err := s.Notice(ctx, noticeID)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	d := countDelta{}
	d.add(models.MonthOf(at), n.SchoolID, n.CountyID, "confirmed", 1)
	if err := s.applyCountsOnce(ctx, opKey(opConfirm, receiptID), d); err != nil {
		return err
	}
	return s.markCounted(ctx, colReceipts, receiptID)
}

// NoticeReport adds up a notice's deliveries and receipts.
type NoticeReport struct {
	Targeted  int                       `json:"targeted"`
	Read      int                       `json:"read"`
	Confirmed int                       `json:"confirmed"`
	Channels  map[string]map[string]int `json:"channels"` // channel → status → count
	Reasons   map[string]int            `json:"reasons"`  // why deliveries failed, were skipped or are unknown
}

// Report counts a notice's outcome.
func (s *Store) Report(ctx context.Context, noticeID string) (NoticeReport, error) {
	r := NoticeReport{Channels: map[string]map[string]int{}, Reasons: map[string]int{}}
	err := s.eachLedgerBatch(ctx, noticeID, func(_ string, ds []models.Delivery) error {
		for _, d := range ds {
			if r.Channels[d.Channel] == nil {
				r.Channels[d.Channel] = map[string]int{}
			}
			r.Channels[d.Channel][d.Status]++
			if d.Reason != "" && d.Status != models.DeliverySent && d.Status != models.DeliveryQueued {
				r.Reasons[d.Reason]++
			}
		}
		return nil
	}, "")
	if err != nil {
		return r, fmt.Errorf("report: %w", err)
	}
	// One pass over the notice's receipts: on the embedded store each query by notice reads
	// every receipt of every notice, and three counts took three times as long.
	err = each(ctx, s, colReceipts, receiptsOf(noticeID, ""), bson.M{"read_at": 1, "confirmed_at": 1}, func(rc models.Receipt) {
		r.Targeted++
		if !rc.ReadAt.IsZero() {
			r.Read++
		}
		if !rc.ConfirmedAt.IsZero() {
			r.Confirmed++
		}
	})
	if err != nil {
		return r, fmt.Errorf("report: %w", err)
	}
	return r, nil
}

// receiptsOf selects a notice's receipts after the receipt id after (all when ""): their ids
// start with the notice id and ":", so on MongoDB this is a range of the _id index.
func receiptsOf(noticeID, after string) bson.M {
	from := bson.M{"$gte": noticeID + ":"}
	if after != "" {
		from = bson.M{"$gt": max(after, noticeID+":")}
	}
	from["$lt"] = noticeID + ";" // ';' follows ':'
	return bson.M{"_id": from}
}
