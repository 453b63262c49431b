package server

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"kehou/models"
	"kehou/store"
	"kehou/wechat"
)

// apiError is an error with the status and code the client sees. Handlers return it for
// problems that are not store sentinels (bad JSON, missing auth, rate limits).
type apiError struct {
	Status     int
	Code       string
	Message    string
	Fields     map[string]string
	Lines      []models.LineError // problems in an uploaded file, by line
	RetryAfter int                // seconds; sets Retry-After when > 0
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func newAPIError(status int, code, msg string) *apiError {
	return &apiError{Status: status, Code: code, Message: msg}
}

// Errors handlers return; their messages are what a parent or admin reads.
var (
	errUnauthenticated = newAPIError(http.StatusUnauthorized, "unauthenticated", "请先登录")
	errForbidden       = newAPIError(http.StatusForbidden, "forbidden", "没有权限执行此操作")
	errNotFound        = newAPIError(http.StatusNotFound, "not_found", "未找到")
	errMalformedJSON   = newAPIError(http.StatusBadRequest, "malformed_json", "请求体不是有效的JSON")
	errIdemReused      = newAPIError(http.StatusUnprocessableEntity, "idempotency_key_reused", "同一个 Idempotency-Key 已用于内容不同的请求")
	errIdemInProgress  = newAPIError(http.StatusConflict, "idempotency_in_progress", "相同的请求正在处理中，请稍后重试")
	// errNoVolunteerProfile: anyone signed in may browse shifts, but applying needs a profile
	// (409: the shift exists; the caller must first save a profile with PUT /mp/volunteer).
	errNoVolunteerProfile = newAPIError(http.StatusConflict, "no_volunteer_profile", msgNoVolunteerProfile)
)

const msgNoVolunteerProfile = "请先填写志愿者资料，再报名班次"

// sentinels is the one table from store, models and wechat errors to HTTP answers.
var sentinels = []struct {
	err error
	api *apiError
}{
	{store.ErrNotFound, errNotFound},
	{store.ErrConflict, newAPIError(http.StatusConflict, "conflict", "已存在，不能重复创建")},
	{store.ErrBindMismatch, newAPIError(http.StatusUnprocessableEntity, "bind_mismatch", "学校、学号、姓名或绑定码不匹配，请核对后重试")},
	{store.ErrLocked, errLocked},
	{store.ErrBadLogin, newAPIError(http.StatusUnauthorized, "bad_credentials", "用户名或密码错误")},
	{store.ErrSurveyLocked, newAPIError(http.StatusConflict, "survey_locked", "问卷已有答卷或已结束，题目不能再修改")},
	{store.ErrSurveyState, newAPIError(http.StatusConflict, "survey_state", "问卷当前的状态不允许此操作")},
	{store.ErrEventState, newAPIError(http.StatusConflict, "event_state", "当前的状态不允许此操作（可能已发布、已取消或已摇号），请刷新后重试")},
	{store.ErrBelowHeld, newAPIError(http.StatusConflict, "capacity_below_confirmed", "名额不能少于已确认占用的名额")},
	{store.ErrNoVolunteer, newAPIError(http.StatusNotFound, "no_volunteer_profile", "请先填写志愿者资料")},
	{store.ErrShiftOverlap, newAPIError(http.StatusConflict, "shift_overlap", "您已报名或承担了同一时段的其他班次")},
	{store.ErrShiftFull, newAPIError(http.StatusConflict, "shift_full", "该班次已招满")},
	{store.ErrApplicationState, newAPIError(http.StatusConflict, "application_state", "报名当前的状态不允许此操作")},
	{store.ErrCredentialGone, errNotFound},
	{store.ErrProfileBusy, &apiError{Status: http.StatusServiceUnavailable, Code: "busy", Message: "操作过于频繁，请稍后重试", RetryAfter: 2}},
	{store.ErrComplaintState, newAPIError(http.StatusConflict, "complaint_state", "该件的办理状态已变化，请刷新后重试")},
	{store.ErrCaseState, newAPIError(http.StatusConflict, "case_state", "案例当前的状态不允许此操作")},
	{store.ErrPoolChanged, &apiError{Status: http.StatusServiceUnavailable, Code: "busy", Message: "报名人数较多，请稍后重试", RetryAfter: 2}},
	{wechat.ErrInvalidCode, newAPIError(http.StatusUnauthorized, "invalid_code", "登录凭证无效或已过期，请重新进入小程序")},
}

// echoCodes names echo's own errors (routing, body limit).
var echoCodes = map[int]*apiError{
	http.StatusNotFound:              errNotFound,
	http.StatusMethodNotAllowed:      newAPIError(http.StatusMethodNotAllowed, "method_not_allowed", "不支持该请求方法"),
	http.StatusRequestEntityTooLarge: newAPIError(http.StatusRequestEntityTooLarge, "body_too_large", "请求体超过1 MiB"),
	http.StatusUnsupportedMediaType:  newAPIError(http.StatusUnsupportedMediaType, "unsupported_media_type", "请求体须为 application/json"),
	http.StatusUnauthorized:          errUnauthenticated,
}

var errInternal = newAPIError(http.StatusInternalServerError, "internal", "服务器内部错误，请稍后重试")

// toAPIError classifies any error; unknown ones become a generic 500.
func toAPIError(err error) (*apiError, bool) {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae, true
	}
	var fe models.FieldErrors
	if errors.As(err, &fe) {
		return &apiError{Status: http.StatusUnprocessableEntity, Code: "validation_failed", Message: "请检查填写的内容", Fields: fe}, true
	}
	var de *store.DuplicateError
	if errors.As(err, &de) {
		return &apiError{Status: http.StatusConflict, Code: "conflict", Message: "已存在，不能重复创建",
			Fields: map[string]string{de.Field: "已被使用，请换一个"}}, true
	}
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			return s.api, true
		}
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		if ae, ok := echoCodes[he.Code]; ok {
			return ae, true
		}
		if he.Code < 500 {
			return newAPIError(he.Code, "bad_request", "请求有误"), true
		}
	}
	return errInternal, false
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code      string             `json:"code"`
	Message   string             `json:"message"`
	Fields    map[string]string  `json:"fields,omitempty"`
	Lines     []models.LineError `json:"lines,omitempty"`
	RequestID string             `json:"request_id,omitempty"`
}

// handleError is echo's HTTPErrorHandler: the only place an error becomes a response. Internal
// error text goes to the log with the request id, never to the client.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	ae, known := toAPIError(err)
	rid := requestID(c)
	if !known {
		s.log.Error("request failed", "request_id", rid, "route", c.Path(), "err", err)
	}
	if ae.RetryAfter > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(ae.RetryAfter))
	}
	body := errorBody{Error: errorDetail{Code: ae.Code, Message: ae.Message, Fields: ae.Fields, Lines: ae.Lines, RequestID: rid}}
	var werr error
	if c.Request().Method == http.MethodHead {
		werr = c.NoContent(ae.Status)
	} else {
		werr = c.JSON(ae.Status, body)
	}
	if werr != nil {
		s.log.Warn("write error response", "request_id", rid, "err", werr)
	}
}
