"""Configuration: where files live (paths), the validated config model, reading and saving the config file
(saving edits the user's file in place), and endpoints with their keys."""
