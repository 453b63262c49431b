package server

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"kehou/models"
)

const goodRoster = "学号,姓名,年级,班级\n" +
	"20260101,张小明,3,1班\n" +
	"20260102,李雷,三年级,1班\n" +
	"20260103,欧阳娜娜,3,2班\n"

func TestRosterImport(t *testing.T) {
	e := newEnv(t)
	r := e.importRoster(e.schoolA1.ID, goodRoster)
	e.expect(r, http.StatusOK, "")
	if !strings.Contains(string(r.Body), `"created":3`) {
		t.Fatalf("import result: %s", r.Body)
	}
	// The same file again changes nothing new; a changed class is an update.
	r = e.importRoster(e.schoolA1.ID, strings.Replace(goodRoster, "3,2班", "3,3班", 1))
	if !strings.Contains(string(r.Body), `"created":0,"updated":1,"unchanged":2,"renamed":0`) {
		t.Fatalf("re-import result: %s", r.Body)
	}
	var kids listBody[models.Child]
	e.req(http.MethodGet, "/api/v1/admin/schools/"+e.schoolA1.ID+"/children?grade=3&class=3班", e.schA1, nil).json(t, &kids)
	if len(kids.Items) != 1 || kids.Items[0].NameMasked != "欧**娜" || kids.Items[0].StudentNo != "20260103" {
		t.Fatalf("children list: %+v", kids.Items)
	}
	var all listBody[models.Child]
	raw := e.req(http.MethodGet, "/api/v1/admin/schools/"+e.schoolA1.ID+"/children", e.schA1, nil)
	raw.json(t, &all)
	if len(all.Items) != 3 || strings.Contains(string(raw.Body), "张小明") || !strings.Contains(string(raw.Body), "张*明") {
		t.Fatalf("names must be masked in lists: %s", raw.Body)
	}
}

func TestRosterImportBadRows(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name  string
		file  string
		lines []models.LineError
		code  string
	}{
		{"duplicate student numbers and bad cells", "学号,姓名,年级,班级\n" +
			"20260101,张小明,3,1班\n" +
			"20260101,张小红,3,1班\n" +
			"2026 0103,王五,3,1班\n" +
			"20260104,,3,1班\n" +
			"20260105,赵六,8,1班\n" +
			"20260106,孙七,3,\n",
			[]models.LineError{
				{Line: 3, Field: "student_no", Message: "学号与第2行重复"},
				{Line: 4, Field: "student_no", Message: "学号应为1–32位字母或数字"},
				{Line: 5, Field: "name", Message: "姓名应为1–20个字"},
				{Line: 6, Field: "grade", Message: "年级应为1–6"},
				{Line: 7, Field: "class", Message: "班级应为1–16个字"},
			}, "roster_rows_invalid"},
		{"no header", "20260101,张小明,3,1班\n", nil, "bad_roster"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.importRoster(e.schoolA1.ID, tt.file)
			e.expect(r, http.StatusUnprocessableEntity, tt.code)
			env := r.envelope(t)
			if len(env.Lines) != len(tt.lines) {
				t.Fatalf("lines = %+v, want %+v", env.Lines, tt.lines)
			}
			for i := range tt.lines {
				if env.Lines[i] != tt.lines[i] {
					t.Fatalf("line %d = %+v, want %+v", i, env.Lines[i], tt.lines[i])
				}
			}
		})
	}
	// Nothing from a rejected file was imported.
	var kids listBody[models.Child]
	e.req(http.MethodGet, "/api/v1/admin/schools/"+e.schoolA1.ID+"/children", e.schA1, nil).json(t, &kids)
	if len(kids.Items) != 0 {
		t.Fatalf("a rejected file must import nothing, got %d children", len(kids.Items))
	}
}

func TestRosterImportExcelGB18030WithMultipart(t *testing.T) {
	e := newEnv(t)
	gbk, err := simplifiedchinese.GB18030.NewEncoder().String(goodRoster)
	if err != nil {
		t.Fatal(err)
	}
	body, ctype := multipartFile(t, "file", "花名册.csv", []byte(gbk))
	r := e.req(http.MethodPost, "/api/v1/admin/schools/"+e.schoolA1.ID+"/roster", e.schA1, body, "Content-Type", ctype)
	e.expect(r, http.StatusOK, "")
	if !strings.Contains(string(r.Body), `"created":3`) {
		t.Fatalf("import result: %s", r.Body)
	}
}

func TestBindingCodesExport(t *testing.T) {
	e := newEnv(t)
	e.importRoster(e.schoolA1.ID, goodRoster)
	r := e.req(http.MethodGet, "/api/v1/admin/schools/"+e.schoolA1.ID+"/binding-codes", e.schA1, nil)
	e.expect(r, http.StatusOK, "")
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(r.Body), "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 || recs[0][4] != "绑定码" || recs[1][1] != "张小明" || len(recs[1][4]) != 8 {
		t.Fatalf("binding codes export: %v", recs)
	}
	if recs[1][4] == recs[2][4] {
		t.Fatal("binding codes must differ per child")
	}
}

// xlsxRoster is a workbook whose first sheet holds rows, as a school saves its roster in Excel.
func xlsxRoster(t *testing.T, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRosterImportXLSX(t *testing.T) {
	e := newEnv(t)
	head := []any{"学号", "姓名", "年级", "班级"}
	tests := []struct {
		name   string
		rows   [][]any
		status int
		code   string
		lines  []models.LineError
	}{
		{"a bad row is named by its sheet row", [][]any{head, {20260101, "张小明", 3, "1班"}, {20260102, "李雷", 9, "1班"}},
			http.StatusUnprocessableEntity, "roster_rows_invalid", []models.LineError{{Line: 3, Field: "grade", Message: "年级应为1–6"}}},
		{"numbers and line breaks in cells", [][]any{head, {20260101, "张小明", 3, "1\n班"}, {"20260102", "李雷", "三年级", "1班"}},
			http.StatusOK, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, ctype := multipartFile(t, "file", "花名册.xlsx", xlsxRoster(t, tt.rows))
			r := e.req(http.MethodPost, "/api/v1/admin/schools/"+e.schoolA1.ID+"/roster", e.schA1, body, "Content-Type", ctype)
			e.expect(r, tt.status, tt.code)
			if tt.lines != nil {
				if got := r.envelope(t).Lines; len(got) != 1 || got[0] != tt.lines[0] {
					t.Fatalf("lines = %+v, want %+v", got, tt.lines)
				}
			}
		})
	}
	var kids listBody[models.Child]
	e.req(http.MethodGet, "/api/v1/admin/schools/"+e.schoolA1.ID+"/children", e.schA1, nil).json(t, &kids)
	if len(kids.Items) != 2 || kids.Items[0].StudentNo != "20260101" {
		t.Fatalf("children after the XLSX import: %+v", kids.Items)
	}
}

func TestSchoolSearchStaysInScope(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, who, query string
		want             []string
	}{
		{"city finds by part of the name", e.city, "q=一小", []string{"甲一小学", "乙一小学"}},
		{"city within one county", e.city, "q=一小&county_id=" + e.countyB.ID, []string{"乙一小学"}},
		{"county sees only its own", e.cntyA, "q=一小", []string{"甲一小学"}},
		{"county asking for another county", e.cntyA, "q=一小&county_id=" + e.countyB.ID, nil},
		{"school sees only itself", e.schA1, "q=小学", []string{"甲一小学"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got listBody[models.School]
			e.req(http.MethodGet, "/api/v1/admin/schools?"+tt.query, tt.who, nil).json(t, &got)
			var names []string
			for _, sc := range got.Items {
				names = append(names, sc.Name)
			}
			if strings.Join(names, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("schools = %v, want %v", names, tt.want)
			}
		})
	}
	r := e.req(http.MethodGet, "/api/v1/admin/schools?q="+strings.Repeat("校", 41), e.city, nil)
	e.expect(r, http.StatusUnprocessableEntity, "validation_failed")
}
