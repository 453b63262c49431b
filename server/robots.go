package server

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"kehou/models"
)

type robotForm struct {
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Key    string `json:"key"`    // WeCom webhook key, or DingTalk access_token
	Secret string `json:"secret"` // DingTalk signing secret (加签), optional
}

func (f *robotForm) validate() error {
	fe := models.FieldErrors{}
	fe.CheckEnum("kind", f.Kind, models.ChannelEnum, models.ChannelWeCom, models.ChannelDingTalk)
	fe.CheckText("name", f.Name, 40)
	fe.CheckText("key", f.Key, 200)
	fe.CheckOptionalText("secret", f.Secret, 200)
	if strings.ContainsAny(f.Key, " /?&") {
		fe.Add("key", "请只填写 webhook 地址中的 key 或 access_token")
	}
	if f.Secret != "" && f.Kind != models.ChannelDingTalk {
		fe.Add("secret", "只有钉钉机器人有加签密钥")
	}
	return fe.Err()
}

// createRobot registers a group robot for the caller's own school, county or the city.
func (s *Server) createRobot(c echo.Context) error {
	var f robotForm
	if err := bind(c, &f); err != nil {
		return err
	}
	scope := scopeOf(c)
	r := models.Robot{CountyID: scope.CountyID, SchoolID: scope.SchoolID, Kind: f.Kind, Name: strings.TrimSpace(f.Name)}
	if err := s.store.CreateRobot(c.Request().Context(), &r, strings.TrimSpace(f.Key), strings.TrimSpace(f.Secret)); err != nil {
		return err
	}
	s.audit(c, "robot.create", r.ID, r.CountyID, r.SchoolID, r.Kind+" "+r.Name)
	return c.JSON(http.StatusCreated, r)
}

func (s *Server) listRobots(c echo.Context) error {
	list, err := s.store.Robots(c.Request().Context(), scopeOf(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listBody[models.Robot]{Items: list})
}

func (s *Server) deleteRobot(c echo.Context) error {
	ctx := c.Request().Context()
	r, err := s.store.RobotInScope(ctx, scopeOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	if err := s.store.DeleteRobot(ctx, r.ID); err != nil {
		return err
	}
	s.audit(c, "robot.delete", r.ID, r.CountyID, r.SchoolID, r.Name)
	return c.NoContent(http.StatusNoContent)
}
