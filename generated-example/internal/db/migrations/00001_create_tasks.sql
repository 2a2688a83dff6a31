-- +goose Up
-- Identity values are never reused, even after a delete, so a task's ID
-- names that task alone (its cached fragment relies on it).
CREATE TABLE tasks (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title      text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE tasks;
