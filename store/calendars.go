package store

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kehou/models"
)

// Calendar returns a year's holidays and worked weekend days; a year nobody entered is
// returned empty (plain Monday to Friday), not as an error.
func (s *Store) Calendar(ctx context.Context, year int) (models.Calendar, error) {
	c, err := findOne[models.Calendar](ctx, s.c(colCalendars), bson.M{"_id": year})
	if errors.Is(err, ErrNotFound) {
		return models.Calendar{Year: year, Holidays: []string{}, Workdays: []string{}}, nil
	}
	return c, err
}

// Calendars returns the calendars of the years a deadline may fall in.
func (s *Store) Calendars(ctx context.Context, years ...int) (models.Calendars, error) {
	out := models.Calendars{}
	for _, y := range years {
		c, err := s.Calendar(ctx, y)
		if err != nil {
			return nil, err
		}
		out[y] = c
	}
	return out, nil
}

// SaveCalendar replaces a year's calendar (validated by the caller).
func (s *Store) SaveCalendar(ctx context.Context, c *models.Calendar) error {
	c.UpdatedAt = s.now()
	if _, err := s.c(colCalendars).ReplaceOne(ctx, bson.M{"_id": c.Year}, c, options.Replace().SetUpsert(true)); err != nil {
		return fmt.Errorf("save calendar: %w", err)
	}
	return nil
}
