// Package report builds the bureau's monthly ledger: per school, county and the city, the
// figures the policy asks for (2+N and 5+2 compliance, families reached, satisfaction and
// awareness, notices, open days, summer care, volunteer hours, complaints). It reads only
// through the store's queries and imports nothing else of ours but models; the server and the
// jobs reach it through the small Ensure interface they declare, wired in cmd/kehou.
package report
