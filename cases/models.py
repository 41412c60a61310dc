"""What every case has: the working-day calendar (deadlines, documents, history and
notifications arrive with the transfer workflow)."""
