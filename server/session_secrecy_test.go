package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"kehou/models"
	"kehou/rediskeys"
)

// TestNoTokenInClear: after parents and staff sign in and use their sessions (which caches
// sessions and children in Redis and queues an answer), no bearer token appears in any Redis
// key or value, nor in any MongoDB document, in clear or as its unkeyed SHA-256 (which would
// let anyone holding a token check it against a copy of the data).
func TestNoTokenInClear(t *testing.T) {
	e := newEnv(t)
	fams := e.families(e.schoolA1, "A1", 3, 2)
	e.staffWithPassword("teacher", "correct horse battery")
	var staff adminLoginBody
	r := e.req(http.MethodPost, "/api/v1/admin/login", "", map[string]string{"username": "teacher", "password": "correct horse battery"})
	e.expect(r, http.StatusOK, "")
	r.json(t, &staff)
	tokens := []string{staff.Token, e.schA1, e.parent("grandma")}
	for _, f := range fams {
		tokens = append(tokens, f.token)
	}
	sv := openingSurvey(e, e.schA1)
	for _, tok := range tokens[2:] {
		e.expect(e.req(http.MethodGet, "/api/v1/mp/surveys", tok, nil), http.StatusOK, "")
	}
	e.expect(e.req(http.MethodPost, "/api/v1/mp/surveys/"+sv.ID+"/answers", fams[0].token,
		map[string]any{"answers": map[string]any{"q1": map[string]any{"choice": "B"}, "q3": map[string]any{"score": 5}}}), http.StatusAccepted, "")
	e.expect(e.req(http.MethodGet, "/api/v1/admin/surveys", staff.Token, nil), http.StatusOK, "")

	var forms []string // each token, and its unkeyed hash
	for _, tok := range tokens {
		if tok == "" {
			t.Fatal("a login gave no token")
		}
		sum := sha256.Sum256([]byte(tok))
		forms = append(forms, tok, hex.EncodeToString(sum[:]))
	}
	check := func(where, text string) {
		for _, f := range forms {
			if strings.Contains(text, f) {
				t.Errorf("%s holds a token (or its unkeyed hash): %.80q", where, text)
			}
		}
	}

	ctx := context.Background()
	keys, err := e.rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	sessions := 0
	for _, k := range keys {
		check("redis key "+k, k)
		if strings.HasPrefix(k, rediskeys.SessionPrefix) {
			sessions++
		}
		var vals []string
		switch typ := e.rdb.Type(ctx, k).Val(); typ {
		case "string":
			vals = []string{e.rdb.Get(ctx, k).Val()}
		case "hash":
			for f, v := range e.rdb.HGetAll(ctx, k).Val() {
				vals = append(vals, f, v)
			}
		case "list":
			vals = e.rdb.LRange(ctx, k, 0, -1).Val()
		case "set":
			vals = e.rdb.SMembers(ctx, k).Val()
		case "zset":
			vals = e.rdb.ZRange(ctx, k, 0, -1).Val()
		default:
			t.Fatalf("redis key %s of type %s not scanned", k, typ)
		}
		for _, v := range vals {
			check("redis value of "+k, v)
		}
	}
	if sessions < len(fams)+1 {
		t.Fatalf("%d session entries in Redis: the scan did not see the cache", sessions)
	}

	names, err := e.db.ListCollectionNames(ctx, bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	docs := 0
	for _, name := range names {
		cur, err := e.db.Collection(name).Find(ctx, bson.M{})
		if err != nil {
			t.Fatal(err)
		}
		for cur.Next(ctx) {
			docs++
			check("mongodb "+name, cur.Current.String())
		}
		if err := cur.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
	n, err := e.db.Collection("sessions").CountDocuments(ctx, bson.M{"kind": models.SessionMember})
	if err != nil || n < int64(len(fams)+1) || docs == 0 {
		t.Fatalf("member sessions in MongoDB: %d (%v), documents scanned %d", n, err, docs)
	}
}
