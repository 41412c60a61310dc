"""Models arrive with this workflow's issue; the app is registered so its migrations have a home."""
