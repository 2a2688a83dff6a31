-- +goose Up
-- The app's schema starts here. Add a file for each change, numbered
-- after the last one (00002_create_products.sql), with an Up and a Down
-- section; "migrate" applies them in order, and the Procfile's release
-- line runs it on every deploy. Never edit a file that has been deployed.

-- +goose Down
