package models

import "time"

// Robot is a WeCom or DingTalk group robot of a school, a county or the city, through which
// notices also reach staff and volunteer groups. Its webhook key (and DingTalk signing secret)
// let anyone post into the group, so they are stored encrypted and never shown again.
type Robot struct {
	ID        string    `bson:"_id" json:"id"`
	CountyID  string    `bson:"county_id,omitempty" json:"county_id,omitempty"`
	SchoolID  string    `bson:"school_id,omitempty" json:"school_id,omitempty"`
	Kind      string    `bson:"kind" json:"kind"` // wecom or dingtalk
	Name      string    `bson:"name" json:"name"`
	KeyEnc    []byte    `bson:"key_enc" json:"-"`
	SecretEnc []byte    `bson:"secret_enc,omitempty" json:"-"`
	CreatedAt time.Time `bson:"created_at" json:"created_at,omitzero"`
}

// RobotMember is the recipient id under which a robot's deliveries are recorded.
func RobotMember(robotID string) string { return "robot:" + robotID }
