"""MCP tool servers: their config tables (config), the names their tools are offered under (naming), a call's
result as the text of a `tool` message (results), and the thread that starts, talks to and stops them (manager,
connection). Only connection.py imports the MCP SDK, and only once a server starts."""
