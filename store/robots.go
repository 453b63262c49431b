package store

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kehou/models"
)

// CreateRobot registers a group robot; its webhook key and signing secret are stored encrypted
// (anyone holding them can post into the group).
func (s *Store) CreateRobot(ctx context.Context, r *models.Robot, key, secret string) error {
	r.ID = NewID()
	r.CreatedAt = s.now()
	r.KeyEnc = s.sealer.Seal(key, "robot_key")
	if secret != "" {
		r.SecretEnc = s.sealer.Seal(secret, "robot_secret")
	}
	return insert(ctx, s.c(colRobots), r)
}

// Robot returns one robot.
func (s *Store) Robot(ctx context.Context, id string) (models.Robot, error) {
	return findOne[models.Robot](ctx, s.c(colRobots), bson.M{"_id": id})
}

// RobotInScope returns the robot when the scope covers its owner.
func (s *Store) RobotInScope(ctx context.Context, scope models.Scope, id string) (models.Robot, error) {
	r, err := s.Robot(ctx, id)
	if err != nil {
		return r, err
	}
	if !scope.AllowsOwner(r.SchoolID, r.CountyID) {
		return models.Robot{}, ErrNotFound
	}
	return r, nil
}

// Robots lists the robots within a scope (a few per school at most).
func (s *Store) Robots(ctx context.Context, scope models.Scope) ([]models.Robot, error) {
	var out []models.Robot
	if err := s.all(ctx, colRobots, scopeFilter(scope, "school_id"), options.Find(), &out); err != nil {
		return nil, fmt.Errorf("robots: %w", err)
	}
	if out == nil {
		out = []models.Robot{}
	}
	return out, nil
}

// DeleteRobot removes a robot.
func (s *Store) DeleteRobot(ctx context.Context, id string) error {
	res, err := s.c(colRobots).DeleteOne(ctx, bson.M{"_id": id})
	if err != nil {
		return fmt.Errorf("delete robot: %w", err)
	}
	if res.DeletedCount == 0 {
		return ErrNotFound
	}
	return nil
}

// RobotCredentials decrypts a robot's webhook key and signing secret.
func (s *Store) RobotCredentials(r models.Robot) (key, secret string, err error) {
	if key, err = s.sealer.Open(r.KeyEnc, "robot_key"); err != nil {
		return "", "", err
	}
	if len(r.SecretEnc) > 0 {
		secret, err = s.sealer.Open(r.SecretEnc, "robot_secret")
	}
	return key, secret, err
}
