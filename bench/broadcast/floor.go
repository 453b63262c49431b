package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"kehou/models"
	"kehou/store"
)

// floorResult is the store's floor: the writes every broadcast must make at least. Each
// recipient needs an inbox entry (a receipt, one document each) and a delivery record (one
// document per send batch holds its deliveries' outcomes), so no broadcast on this store can
// record deliveries faster than these two go.
type floorResult struct {
	N          int
	Deliveries time.Duration // RecordOutcomes (sent), in the send chunk size
	Receipts   time.Duration // AddRecipients, in the fan-out batch size
}

// runFloor inserts n delivery records and n receipts through the store's own methods (the
// production indexes are in place), in the jobs' default batch sizes, and times each.
func runFloor(ctx context.Context, st *store.Store, n, fanoutBatch, sendChunk int) (floorResult, error) {
	res := floorResult{N: n}
	members := make([]string, n)
	for i := range members {
		members[i] = fmt.Sprintf("m%023d", i)
	}
	notice := models.Notice{ID: store.NewID()}
	start := time.Now()
	for i := 0; i < n; i += fanoutBatch {
		if _, err := st.AddRecipients(ctx, notice, members[i:min(i+fanoutBatch, n)]); err != nil {
			return res, err
		}
	}
	res.Receipts = time.Since(start)
	start = time.Now()
	for i, k := 0, 0; i < n; i, k = i+sendChunk, k+1 {
		chunk := members[i:min(i+sendChunk, n)]
		recorded := make([]store.Recorded, len(chunk))
		for j, m := range chunk {
			recorded[j] = store.Recorded{
				Delivery: models.Delivery{ID: models.DeliveryID(notice.ID, m, "sms"), NoticeID: notice.ID, MemberID: m, Channel: "sms"},
				Outcome:  store.Outcome{Status: models.DeliverySent}}
		}
		c := store.Claim{ID: "floor", Batch: models.SendBatch{ID: fmt.Sprintf("floor:%d", k), NoticeID: notice.ID, Channel: "sms"}}
		if err := st.RecordOutcomes(ctx, c, recorded, store.Pending{}); err != nil {
			return res, err
		}
	}
	res.Deliveries = time.Since(start)
	return res, nil
}

func (f floorResult) print(w io.Writer, bare bareResult, bareRan bool) {
	rate := func(d time.Duration) float64 { return float64(f.N) / d.Seconds() }
	both := f.Deliveries + f.Receipts
	fmt.Fprintf(w, "\nstore floor (%d recipients: one receipt and one delivery record each, nothing sent)\n", f.N)
	fmt.Fprintf(w, "  receipts inserted:   %8.2f s  %8.0f /s\n", f.Receipts.Seconds(), rate(f.Receipts))
	fmt.Fprintf(w, "  deliveries inserted: %8.2f s  %8.0f /s\n", f.Deliveries.Seconds(), rate(f.Deliveries))
	fmt.Fprintf(w, "  both:                %8.2f s  %8.0f recipients/s at most\n", both.Seconds(), rate(both))
	if bareRan && bare.Done {
		b := float64(bare.Processed) / bare.Elapsed.Seconds()
		fmt.Fprintf(w, "  bare asynq:                      %8.0f tasks/s  (floor / bare = %.2f)\n", b, rate(both)/b)
	}
}
