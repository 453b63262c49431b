package server

import "github.com/labstack/echo/v4"

// routes lists every route of the API. openapi.yaml documents each one, and a test keeps the
// two in step.
func (s *Server) routes(e *echo.Echo) {
	e.Use(withRequestID, s.observe, s.recoverPanics(), bodyLimit())

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", s.metricsHandler())
	e.GET("/version", s.versionInfo)
	e.GET("/openapi.yaml", s.openAPIDoc)

	// Staff passwords can be guessed, so staff logins have their own per-IP limit. Mini-program
	// codes cannot be guessed, and thousands of parents behind one carrier NAT log in at once
	// after a notice, so they share only the general per-IP limit.
	staffLogin := s.limitIP("login", s.cfg.RateLoginPerMin)
	perSubject := s.limitSubject("subject", s.cfg.RateMemberPerMin)

	// Probes and scrapes are not rate-limited, so they keep answering when Redis is down.
	api := e.Group("/api/v1", s.limitIP("ip", s.cfg.RateIPPerMinute))
	mp := api.Group("/mp")
	mp.POST("/login", s.mpLogin)
	member := mp.Group("", s.requireMember, perSubject)
	member.POST("/logout", s.logout)
	member.GET("/me", s.mpMe)
	member.GET("/schools", s.mpSchools)
	member.GET("/children", s.myChildren)
	member.POST("/children", s.bindChild, s.limitSubject("bind", 10), s.idempotent)
	member.DELETE("/children/:id", s.unbindChild)
	member.POST("/phone", s.setPhone)
	member.GET("/subscriptions", s.subscriptions)
	member.POST("/subscriptions", s.reportSubscriptions, s.idempotent)
	member.GET("/notices", s.inbox)
	member.GET("/notices/:id", s.inboxNotice)
	member.POST("/notices/:id/read", s.readNotice)
	member.POST("/notices/:id/confirm", s.confirmNotice)
	member.GET("/surveys", s.mpSurveys)
	member.GET("/surveys/:id", s.mpSurvey)
	member.PUT("/surveys/:id/draft", s.saveSurveyDraft)
	member.POST("/surveys/:id/answers", s.submitSurvey)
	member.GET("/events", s.mpEvents)
	member.GET("/events/:id", s.mpEvent)
	member.POST("/events/:id/signups", s.signUp)
	member.GET("/signups", s.mySignUps)
	member.POST("/signups/:id/cancel", s.cancelMySignUp)

	admin := api.Group("/admin")
	admin.POST("/login", s.adminLogin, staffLogin)
	staff := admin.Group("", s.requireStaff, perSubject)
	staff.POST("/logout", s.logout)
	staff.GET("/me", s.adminMe)

	staff.GET("/counties", s.listCounties)
	staff.POST("/counties", s.createCounty, s.idempotent)
	staff.GET("/counties/:id", s.getCounty)
	staff.PATCH("/counties/:id", s.updateCounty)

	staff.GET("/schools", s.listSchools)
	staff.POST("/schools", s.createSchool, s.idempotent)
	staff.GET("/schools/:id", s.getSchool)
	staff.PATCH("/schools/:id", s.updateSchool)
	staff.POST("/schools/:id/roster", s.importRoster)
	staff.GET("/schools/:id/children", s.listChildren)
	staff.GET("/schools/:id/binding-codes", s.bindingCodes)
	staff.GET("/schools/:id/guardians", s.listBindings)
	staff.DELETE("/guardians/:id", s.removeBinding)

	staff.GET("/staff", s.listStaff)
	staff.POST("/staff", s.createStaff, s.idempotent)
	staff.GET("/staff/:id", s.getStaff)
	staff.PATCH("/staff/:id", s.updateStaff)

	staff.GET("/notices", s.listNotices)
	staff.POST("/notices", s.createNotice, s.idempotent)
	staff.GET("/notices/:id", s.getNotice)
	staff.POST("/notices/:id/cancel", s.cancelNotice)
	staff.POST("/notices/:id/remind", s.remindNotice, s.idempotent)
	staff.GET("/notices/:id/deliveries", s.noticeDeliveries)
	staff.GET("/notices/:id/outbox", s.noticeOutbox)

	staff.GET("/survey-templates", s.listSurveyTemplates)
	staff.GET("/surveys", s.listSurveys)
	staff.POST("/surveys", s.createSurvey, s.idempotent)
	staff.GET("/surveys/:id", s.getSurvey)
	staff.PATCH("/surveys/:id", s.updateSurvey)
	staff.POST("/surveys/:id/publish", s.publishSurvey)
	staff.POST("/surveys/:id/close", s.closeSurvey)
	staff.POST("/surveys/:id/archive", s.archiveSurvey)
	staff.GET("/surveys/:id/results", s.surveyResults)
	staff.GET("/surveys/:id/texts", s.surveyTexts)
	staff.GET("/surveys/:id/export", s.exportSurvey)

	staff.GET("/events", s.listEvents)
	staff.POST("/events", s.createEvent, s.idempotent)
	staff.GET("/events/:id", s.getEvent)
	staff.PATCH("/events/:id", s.updateEvent)
	staff.POST("/events/:id/publish", s.publishEvent)
	staff.POST("/events/:id/cancel", s.cancelEvent)
	staff.POST("/events/:id/sessions/:sid/cancel", s.cancelSession)
	staff.POST("/events/:id/sessions/:sid/capacity", s.setCapacity)
	staff.GET("/events/:id/signups", s.eventSignUps)
	staff.GET("/events/:id/export", s.exportEvent)
	staff.POST("/checkins", s.checkin)

	staff.GET("/robots", s.listRobots)
	staff.POST("/robots", s.createRobot, s.idempotent)
	staff.DELETE("/robots/:id", s.deleteRobot)

	staff.GET("/audit", s.listAudit)
}
